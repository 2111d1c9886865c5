import { once } from 'node:events';
import type { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgument } from '../errors.js';
import { zstdContext, zstdDecompress as zstdDecompressStep, type ZstdStep } from '../native/addon.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** A pipeline stage: a Transform, or an async generator over the compressed chunks. */
export type DecompressStage = Transform | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>);

/** Compression from the first bytes (gzip 1f8b, zstd 28b52ffd); anything else is a plain tar. */
export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Reads the first `n` bytes of `input` and puts them back, so the stream can still be
 * consumed from its start.
 */
export async function peek(input: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const chunk = input.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      len += chunk.length;
      continue;
    }
    if (input.readableEnded) break;
    const ac = new AbortController();
    // whichever comes first; 'error' makes once() reject
    const ended = await Promise.race([
      once(input, 'readable', { signal: ac.signal }).then(() => false),
      once(input, 'end', { signal: ac.signal }).then(() => true),
    ]).finally(() => ac.abort());
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length) input.unshift(head);
  return head;
}

/**
 * The decompression stage for a layer, chosen by magic bytes (a registry's media type may
 * lie, and plain tars exist). Both decompressors respect back-pressure, so a layer that
 * expands enormously (a big zero-filled file, or a decompression bomb) is written to disk
 * at disk speed instead of piling up in memory.
 */
export async function decompressorFor(input: Readable): Promise<DecompressStage | undefined> {
  const kind = detectCompression(await peek(input, 4));
  if (kind === 'gzip') return createGunzip();
  if (kind === 'zstd') return zstdDecompress;
  return undefined;
}

/** output bytes per native step: bounds what one step of a layer that expands enormously holds */
const ZSTD_OUT = 1 << 20;

/**
 * zstd through libzstd on a worker thread (Debian's libzstd, linked into the addon), with
 * back-pressure: each step fills at most ZSTD_OUT bytes and waits for the consumer.
 */
export async function* zstdDecompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = zstdContext();
  let frameEnd = false;
  for await (const chunk of source) {
    let offset = 0;
    for (;;) {
      const out = Buffer.allocUnsafe(ZSTD_OUT);
      let r: ZstdStep;
      try {
        r = await zstdDecompressStep(z, chunk, offset, out);
      } catch (e) {
        throw new InvalidArgument(`corrupt zstd layer: ${(e as Error).message}`);
      }
      offset += r.consumed;
      // a step that used and made nothing (a drain after the end) says nothing new
      if (r.consumed || r.produced) frameEnd = r.frameEnd;
      if (r.produced) yield out.subarray(0, r.produced);
      // the output was not filled: the decoder holds nothing more for this input
      if (offset >= chunk.length && r.produced < out.length) break;
    }
  }
  if (!frameEnd) throw new InvalidArgument('corrupt zstd layer: unexpected end of data (truncated frame)');
}
