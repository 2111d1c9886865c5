import type { Duplex } from 'node:stream';
import { chunkEntries, type LogChunk, type StdioSession } from '@skiff/runtime';

/**
 * Docker's multiplexed stream framing for non-TTY logs and attach: an 8-byte header
 * (stream 1 = stdout, 2 = stderr; 3 zero bytes; big-endian payload length) per chunk.
 */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** a chunk's bytes as `docker logs` shows them: with --timestamps every line gets its time */
function chunkText(c: LogChunk, timestamps: boolean): string {
  return timestamps ? chunkEntries(c).map((e) => `${e.time} ${e.line}`).join('') : c.text;
}

/** log chunks as one multiplexed buffer: a frame per chunk (a frame may hold many lines, as in attach streams) */
export function framedLogs(chunks: LogChunk[], timestamps: boolean): Buffer {
  const texts = chunks.map((c) => chunkText(c, timestamps));
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

/** log chunks of a TTY container: the bytes as they are */
export function rawLogs(chunks: LogChunk[], timestamps: boolean): Buffer {
  return Buffer.from(chunks.map((c) => chunkText(c, timestamps)).join(''));
}

/**
 * A session's output onto a hijacked connection (raw with a TTY, framed without), the
 * client's bytes into its stdin; the connection ends with the process. Used by attach and
 * exec start.
 */
export function pipeSession(
  session: StdioSession,
  socket: Duplex,
  opts: { tty: boolean; stdout: boolean; stderr: boolean; stdin: boolean; onClose: () => void },
): void {
  if (opts.stdout) session.on('stdout', (d: Buffer) => socket.write(opts.tty ? d : frame('stdout', d)));
  if (opts.stderr) session.on('stderr', (d: Buffer) => socket.write(opts.tty ? d : frame('stderr', d)));
  session.on('exit', () => socket.end());
  session.on('error', () => socket.destroy());
  if (opts.stdin) {
    socket.on('data', (d: Buffer) => session.write(d));
    socket.on('end', () => session.closeStdin());
  }
  socket.on('close', opts.onClose);
}
