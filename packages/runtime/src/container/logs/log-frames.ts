import { logFrames as nativeLogFrames } from '../../native/addon.js';
import type { LogChunk, LogStreamOptions, LogsOptions } from '../../types.js';
import { chunkEntries } from './log-parse.js';

/*
 * A log as bytes on the wire: Docker's multiplexed stream (an 8-byte header per frame:
 * stream 1 = stdout, 2 = stderr, 3 zero bytes, big-endian payload length) or, for a TTY
 * container, the raw bytes.
 */

/** a chunk's bytes as `docker logs` shows them */
function chunkText(c: LogChunk, timestamps: boolean): string {
  return timestamps
    ? chunkEntries(c)
        .map((e) => `${e.time} ${e.line}`)
        .join('')
    : c.text;
}

/** chunks (parsed in JS: history with --tail) as frames, a frame per chunk */
export function encodeLogChunks(chunks: LogChunk[], opts: LogStreamOptions): Buffer {
  const texts = chunks.map((c) => chunkText(c, !!opts.timestamps));
  if (opts.raw) return Buffer.from(texts.join(''));
  let size = 0;
  const lengths = texts.map((t) => {
    const n = Buffer.byteLength(t);
    size += 8 + n;
    return n;
  });
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  chunks.forEach((c, i) => {
    out.writeUInt32BE(c.stream === 'stdout' ? 0x01000000 : 0x02000000, off);
    out.writeUInt32BE(lengths[i]!, off + 4);
    off += 8 + out.write(texts[i]!, off + 8);
  });
  return out;
}

/**
 * Whole json-file lines in buf[start..end) as frames, in the addon (log-frames.c): the
 * follow path, which never makes a string of a line. Undefined when no line was kept.
 */
export function encodeLogLines(buf: Buffer, start: number, end: number, opts: LogsOptions & LogStreamOptions): Buffer | undefined {
  // the output is never longer than the input (see log-frames.h)
  const out = Buffer.allocUnsafe(end - start);
  const n = nativeLogFrames(buf, start, end, out, {
    stdout: opts.stdout !== false,
    stderr: opts.stderr !== false,
    timestamps: !!opts.timestamps,
    raw: !!opts.raw,
    since: opts.since,
    until: opts.until,
  });
  return n ? out.subarray(0, n) : undefined;
}
