import { summariesJsonOf, writeJsonArray } from '@skiff/runtime';

/** stands in for a pre-serialized answer while the envelope around it is stringified */
const MARK = JSON.stringify('\u0000skiff-pre-serialized\u0000');

/**
 * Buffers for the messages that carry a pre-serialized list, taken back once the socket has
 * written them: a fresh 360 kB buffer per `ps` at 1000 containers was an mmap, ~90 page
 * faults and a munmap each time (glibc's mmap threshold is pinned at 128 kB), and external
 * memory that V8 counts towards its next GC. Two are kept: a message being written and the
 * next one being built.
 */
class SendBuffers {
  private readonly free: ArrayBuffer[] = [];
  private readonly lent = new WeakSet<Buffer>();

  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.byteLength >= size);
    // room to grow by an eighth before a bigger one is needed, in 64 kB steps
    const backing = i >= 0 ? this.free.splice(i, 1)[0]! : new ArrayBuffer(Math.ceil((size * 1.125) / 65536) * 65536);
    const b = Buffer.from(backing, 0, size);
    this.lent.add(b);
    return b;
  }

  /** after the write of `b` completed or failed; anything not taken here is left alone */
  give(b: Buffer): void {
    if (!this.lent.delete(b)) return;
    if (this.free.length < 2) this.free.push(b.buffer as ArrayBuffer);
  }
}

const sendBuffers = new SendBuffers();

/**
 * tRPC's WebSocket messages as JSON text, like its default encoder, except that an answer
 * that already carries its JSON text (a container list: the runtime keeps each summary's
 * JSON while the container does not change) is copied in instead of stringified again.
 * Clients decode with plain JSON.parse, as ever.
 */
export const wsEncoder = {
  encode(message: unknown): string | Uint8Array<ArrayBuffer> {
    const result = (message as { result?: { data?: unknown } } | undefined)?.result;
    const list = result ? summariesJsonOf(result.data) : undefined;
    if (list === undefined) return JSON.stringify(message);
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: JSON.parse(MARK) as string } });
    const at = envelope.indexOf(MARK);
    const head = envelope.slice(0, at);
    const tail = envelope.slice(at + MARK.length);
    const headBytes = Buffer.byteLength(head);
    const out = sendBuffers.take(headBytes + list.bytes + Buffer.byteLength(tail));
    out.write(head, 0);
    out.write(tail, writeJsonArray(list, out, headBytes));
    // bytes, sent as a text frame all the same (see textFramesForBuffers)
    return out as Uint8Array<ArrayBuffer>;
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('the agent takes JSON in text frames');
    return JSON.parse(data);
  },
};

/**
 * tRPC hands the encoder's result to `ws.send(data)`, which would send a Buffer as a binary
 * frame; the encoder's Buffers are JSON text, and clients (browsers, the CLI) expect text.
 * Its buffer goes back to the encoder once the socket is done with it.
 */
export function textFramesForBuffers(ws: { send: (data: never, ...rest: never[]) => void }): void {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  ws.send = ((data: unknown, ...rest: unknown[]) =>
    Buffer.isBuffer(data) && rest.length === 0 ? send(data, { binary: false }, () => sendBuffers.give(data)) : send(data, ...rest)) as never;
}
