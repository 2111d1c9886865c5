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
