import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that hashes (sha256) and counts what flows through it: a blob's digest and size while it is written. */
export class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  /** `sha256:…` of everything that passed; once, after the stream ended */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
