import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';

/** zstd as a Node transform (fzstd is pure JS: no native build, no download) */
class ZstdTransform extends Transform {
  private readonly z = new ZstdDecompress((chunk) => {
    this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.z.push(chunk);
      cb();
    } catch (e) {
      cb(new Error(`corrupt zstd layer: ${(e as Error).message}`));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.z.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(new Error(`corrupt zstd layer: ${(e as Error).message}`));
    }
  }
}

/**
 * Picks the decompressor from the stream's first bytes (gzip 1f8b, zstd 28b52ffd), so a
 * registry's media type that lies (or a plain tar) still unpacks correctly.
 */
export class AutoDecompress extends Transform {
  private inner?: Transform;
  private head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.inner) {
      this.feed(chunk, cb);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < 4) {
      cb();
      return;
    }
    this.choose();
    const buffered = this.head;
    this.head = Buffer.alloc(0);
    this.feed(buffered, cb);
  }

  private choose(): void {
    const h = this.head;
    if (h[0] === 0x1f && h[1] === 0x8b) this.inner = createGunzip();
    else if (h[0] === 0x28 && h[1] === 0xb5 && h[2] === 0x2f && h[3] === 0xfd) this.inner = new ZstdTransform();
    else {
      this.inner = new Transform({ transform: (c, _e, done) => done(null, c) });
    }
    this.inner.on('data', (d: Buffer) => this.push(d));
    this.inner.on('error', (e) => this.destroy(e));
  }

  private feed(chunk: Buffer, cb: TransformCallback): void {
    if (this.inner!.write(chunk)) cb();
    else this.inner!.once('drain', () => cb());
  }

  override _flush(cb: TransformCallback): void {
    if (!this.inner) {
      this.choose();
      if (this.head.length) this.inner!.write(this.head);
    }
    this.inner!.once('end', () => cb());
    this.inner!.once('error', (e) => cb(e));
    this.inner!.end();
  }
}
