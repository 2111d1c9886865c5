import { WebSocket } from 'ws';
import { FrozenListJson, writeJsonArray } from './frozen-json.js';

/** stands in for a cached list while the envelope around it is stringified */
const MARK_TEXT = '\u0000skiff-pre-serialized\u0000';
const MARK = JSON.stringify(MARK_TEXT);

/**
 * Buffers for the messages that carry a cached list, taken back once the socket has written
 * them: a fresh 360 kB buffer per `ps` at 1000 containers was an mmap, ~90 page faults and a
 * munmap each time (glibc's mmap threshold is pinned at 128 kB), and external memory that V8
 * counts towards its next GC. Two are kept: a message being written and the next one being built.
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

  isLent(b: unknown): b is Buffer {
    return Buffer.isBuffer(b) && this.lent.has(b);
  }

  /** after the write of `b` completed or failed; anything not taken here is left alone */
  give(b: Buffer): void {
    if (!this.lent.delete(b)) return;
    if (this.free.length < 2) this.free.push(b.buffer as ArrayBuffer);
  }
}

const sendBuffers = new SendBuffers();
const listJson = new FrozenListJson();

/**
 * tRPC's WebSocket messages as JSON text, like its default encoder, except that an answer
 * that is a deeply frozen list (the runtime's container summaries: the same array while
 * nothing in it changed) is copied in from its cached JSON bytes instead of stringified
 * again. Clients decode with plain JSON.parse, as ever.
 */
export const wsEncoder = {
  encode(message: unknown): string | Uint8Array<ArrayBuffer> {
    const result = (message as { result?: { data?: unknown } } | undefined)?.result;
    const list = result ? listJson.of(result.data) : undefined;
    if (list === undefined) return JSON.stringify(message);
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: MARK_TEXT } });
    const at = envelope.indexOf(MARK);
    const head = envelope.slice(0, at);
    const tail = envelope.slice(at + MARK.length);
    const headBytes = Buffer.byteLength(head);
    const out = sendBuffers.take(headBytes + list.bytes + Buffer.byteLength(tail));
    out.write(head, 0);
    out.write(tail, writeJsonArray(list, out, headBytes));
    // bytes, sent as a text frame all the same (see JsonTextWebSocket)
    return out as Uint8Array<ArrayBuffer>;
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('the agent takes JSON in text frames');
    return JSON.parse(data);
  },
};

type SendOptions = Parameters<WebSocket['send']>[1];
type SendCallback = (err?: Error) => void;

/**
 * The agent's WebSockets, made by its WebSocketServers (ws's `WebSocket` option). tRPC hands
 * the encoder's result to `send(data)`, which would go out as a binary frame for a Buffer;
 * the encoder's buffers are JSON text, and clients (browsers, the CLI) expect text. Only the
 * encoder's own buffers are sent differently, as text, and go back to it once written.
 */
export class JsonTextWebSocket extends WebSocket {
  override send(data: unknown, options?: SendOptions | SendCallback, cb?: SendCallback): void {
    if (options === undefined && cb === undefined && sendBuffers.isLent(data)) {
      super.send(data, { binary: false }, () => sendBuffers.give(data));
      return;
    }
    super.send(data as never, options as never, cb);
  }
}
