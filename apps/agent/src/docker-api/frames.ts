import type { Duplex } from 'node:stream';
import type { StdioSession } from '@skiff/runtime';
import { systemErrorFrame } from '../daemon/log-stream.js';
import { onStopping, SHUTDOWN_MESSAGE } from '../daemon/stopping.js';

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
  // (not after the socket was ended: the agent stopping ends it while the process still writes)
  if (opts.stdout) session.on('stdout', (d: Buffer) => socket.writable && socket.write(opts.tty ? d : frame('stdout', d)));
  if (opts.stderr) session.on('stderr', (d: Buffer) => socket.writable && socket.write(opts.tty ? d : frame('stderr', d)));
  session.on('exit', () => socket.end());
  session.on('error', () => socket.destroy());
  if (opts.stdin) {
    socket.on('data', (d: Buffer) => session.write(d));
    socket.on('end', () => session.closeStdin());
  }
  // the agent stopping ends the stream (the process keeps running), framed streams with why
  const offStopping = onStopping(() => {
    if (!opts.tty && socket.writable) socket.write(systemErrorFrame(SHUTDOWN_MESSAGE));
    socket.end();
  });
  socket.on('close', () => {
    offStopping();
    opts.onClose();
  });
}
