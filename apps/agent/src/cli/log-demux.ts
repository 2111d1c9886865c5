import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { CliError } from './errors.js';

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Docker's multiplexed stream (8-byte headers: stream 1 = stdout, 2 = stderr, big-endian
 * length) onto two writables, a frame's bytes passed on as they arrive (a frame may be
 * larger than a read), and reading paused while a writable is full. Stream 3 ("systemerr",
 * an error from the agent such as its shutdown) ends the read with that message as a CliError.
 */
export async function demuxFrames(input: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  let head: Buffer = EMPTY; // a header cut by a read
  let target: Writable = stdout;
  let left = 0; // payload bytes of the current frame still to come
  let systemErr: Buffer[] | undefined; // the agent's error message, while its frame comes
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      if (left === 0) {
        const take = chunk.subarray(off, off + 8 - head.length);
        head = head.length ? Buffer.concat([head, take]) : take;
        off += take.length;
        if (head.length < 8) break;
        target = head[0] === 2 ? stderr : stdout;
        systemErr = head[0] === 3 ? [] : undefined;
        left = head.readUInt32BE(4);
        head = EMPTY;
        if (systemErr && left === 0) throw new CliError('the agent ended the stream with an error');
        continue;
      }
      const n = Math.min(left, chunk.length - off);
      if (systemErr) {
        systemErr.push(chunk.subarray(off, off + n));
        off += n;
        left -= n;
        if (left === 0) throw new CliError(Buffer.concat(systemErr).toString('utf8'));
        continue;
      }
      const ok = target.write(chunk.subarray(off, off + n));
      off += n;
      left -= n;
      if (!ok) await once(target, 'drain');
    }
  }
}
