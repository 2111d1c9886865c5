import { summariesJsonOf } from '@skiff/runtime';

/** stands in for a pre-serialized answer while the envelope around it is stringified */
const MARK = JSON.stringify('\u0000skiff-pre-serialized\u0000');

/**
 * One JSON text message in pieces: the envelope's head, the pre-serialized answer, its tail.
 * Sent as fragments of one text message (see textFramesForBuffers), so the answer's bytes go
 * to the socket as they are: joining them into one buffer cost a fresh 360 kB allocation and
 * copy per `ps` at 1000 containers. Not a Uint8Array on purpose: a `ws.send` that does not
 * know it throws instead of sending part of a message.
 */
export class JsonPieces {
  constructor(readonly pieces: readonly Buffer[]) {}
}

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
    // tRPC hands this to ws.send untouched; textFramesForBuffers sends the pieces
    return new JsonPieces([Buffer.from(envelope.slice(0, at)), raw, Buffer.from(envelope.slice(at + MARK.length))]) as unknown as Uint8Array<ArrayBuffer>;
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('the agent takes JSON in text frames');
    return JSON.parse(data);
  },
};

/**
 * tRPC hands the encoder's result to `ws.send(data)`, which would send a Buffer as a binary
 * frame and cannot send JsonPieces at all; the encoder's output is JSON text, and clients
 * (browsers, the CLI) expect text. Pieces go out as the fragments of one text message, in
 * one synchronous run so no other message can come between them.
 */
export function textFramesForBuffers(ws: { send: (data: never, ...rest: never[]) => void }): void {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    if (rest.length !== 0) return send(data, ...rest);
    if (data instanceof JsonPieces) {
      const last = data.pieces.length - 1;
      data.pieces.forEach((piece, i) => send(piece, { binary: false, fin: i === last }));
      return;
    }
    return Buffer.isBuffer(data) ? send(data, { binary: false }) : send(data);
  }) as never;
}
