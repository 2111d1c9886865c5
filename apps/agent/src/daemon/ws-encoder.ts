import { summariesJsonOf } from '@skiff/runtime';

/** stands in for a pre-serialized answer while the envelope around it is stringified */
const MARK = JSON.stringify('\u0000skiff-pre-serialized\u0000');

/**
 * tRPC's WebSocket messages as JSON text, like its default encoder, except that an answer
 * that already carries its JSON text (a container list: the runtime keeps each summary's
 * JSON while the container does not change) is spliced in instead of stringified again.
 * Clients decode with plain JSON.parse, as ever.
 */
export const wsEncoder = {
  encode(message: unknown): string | Uint8Array<ArrayBuffer> {
    const result = (message as { result?: { data?: unknown } } | undefined)?.result;
    const raw = result ? summariesJsonOf(result.data) : undefined;
    if (raw === undefined) return JSON.stringify(message);
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: JSON.parse(MARK) as string } });
    const at = envelope.indexOf(MARK);
    // bytes, sent as a text frame all the same (see textFramesForBuffers)
    return Buffer.concat([Buffer.from(envelope.slice(0, at)), raw, Buffer.from(envelope.slice(at + MARK.length))]) as Uint8Array<ArrayBuffer>;
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('the agent takes JSON in text frames');
    return JSON.parse(data);
  },
};

/**
 * tRPC hands the encoder's result to `ws.send(data)`, which would send a Buffer as a binary
 * frame; the encoder's Buffers are JSON text, and clients (browsers, the CLI) expect text.
 */
export function textFramesForBuffers(ws: { send: (data: never, ...rest: never[]) => void }): void {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  ws.send = ((data: unknown, ...rest: unknown[]) => (Buffer.isBuffer(data) && rest.length === 0 ? send(data, { binary: false }) : send(data, ...rest))) as never;
}
