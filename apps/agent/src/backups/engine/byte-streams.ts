import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { InvalidArgument, ZstdCompress, zstdDecompress } from '@skiff/runtime';
import type { Compression } from '../plan-schema.js';

/** zstd through the runtime's libzstd binding (level 3, on a worker thread), else gzip */
export function compressor(c: Compression): Transform {
  return c === 'zstd' ? new ZstdCompress(3) : createGzip({ level: 6 });
}

/** the matching decompressor, as a pipeline stage (both keep back-pressure: a bomb expands at the reader's pace) */
export function decompressor(c: string): Transform | ((src: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>) {
  if (c === 'zstd') return zstdDecompress;
  if (c === 'gzip') return createGunzip();
  throw new InvalidArgument(`unknown compression: ${c}`);
}

/** counts (and optionally hashes) what passes through */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly opts: { hash?: boolean; limit?: number; what?: string } = {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.opts.limit !== undefined && this.bytes > this.opts.limit) {
      done(new InvalidArgument(`${this.opts.what ?? 'the archive'} expands past ${this.opts.limit} bytes, the size it was backed up with`));
      return;
    }
    if (this.opts.hash) this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** the sha256 of a whole stream (the stored archive, checked before a restore trusts it) */
export async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: h.digest('hex'), bytes };
}
