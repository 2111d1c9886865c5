/** The addon's zstd encoder (push --compression zstd): round trip through libzstd and the zstd CLI, deterministic output. */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ZstdCompress } from '../src/image/compress.js';
import { zstdDecompress } from '../src/image/decompress.js';

async function compress(chunks: Buffer[], level?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new ZstdCompress(level), async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  return Buffer.concat(out);
}

async function decompress(data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of zstdDecompress(Readable.from([data]))) out.push(c);
  return Buffer.concat(out);
}

// 5 MB, half random (incompressible) and half repetitive: several output steps and blocks
const data = Buffer.concat([randomBytes(2 << 20), Buffer.alloc(3 << 20, 'skiff layer ')]);
const split = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

describe('zstd compression', () => {
  it('round-trips, and the zstd CLI reads it', async () => {
    const z = await compress(split(data, 64 << 10));
    expect(z.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(z.length).toBeLessThan(data.length);
    expect((await decompress(z)).equals(data)).toBe(true);
    const cli = execFileSync('zstd', ['-d', '-c'], { input: z, maxBuffer: 64 << 20 });
    expect(cli.equals(data)).toBe(true);
  }, 60_000);

  it('gives the same bytes however the input is chunked', async () => {
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const a = digest(await compress(split(data, 64 << 10)));
    expect(digest(await compress(split(data, 7919)))).toBe(a);
    expect(digest(await compress([data]))).toBe(a);
    expect(digest(await compress([data], 9))).not.toBe(a);
  }, 60_000);

  it('compresses empty input to a valid frame', async () => {
    const z = await compress([]);
    expect((await decompress(z)).length).toBe(0);
  });
});
