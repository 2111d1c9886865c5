import type { Duplex } from 'node:stream';
import type { StdioSession } from '@skiff/runtime';

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
