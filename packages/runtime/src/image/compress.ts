import { Transform, type TransformCallback } from 'node:stream';
import { zstdCompressContext, zstdCompress as zstdCompressStep, type ZstdCompressContext } from '../native/addon.js';

/** output bytes per native step: bounds what one step holds */
const ZSTD_OUT = 1 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * zstd through libzstd on a worker thread (the addon's, as the decompressor). The output
 * depends only on the bytes and the level, not on how they are chunked: a layer compressed
 * twice gets one digest.
 */
export class ZstdCompress extends Transform {
  private readonly z: ZstdCompressContext;

  constructor(level = 3) {
    super();
    this.z = zstdCompressContext(level);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.run(chunk, false).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.run(EMPTY, true).then(() => done(), done);
  }

  private async run(input: Buffer, end: boolean): Promise<void> {
    let offset = 0;
    const out = Buffer.allocUnsafe(ZSTD_OUT);
    for (;;) {
      const r = await zstdCompressStep(this.z, input, offset, out, end);
      offset += r.consumed;
      // a copy: the step's output is usually far smaller than the buffer, which is reused
      if (r.produced) this.push(Buffer.from(out.subarray(0, r.produced)));
      if (end ? r.done : offset >= input.length && r.produced < out.length) return;
    }
  }
}
