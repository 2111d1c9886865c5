import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, NotFound } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'store' });

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

export function digestHex(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new InvalidArgument(`unsupported or malformed digest: ${digest}`);
  return m[1]!;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Content-addressed blobs under `<root>/blobs/sha256/<hex>`. A blob becomes visible only
 * after its bytes hashed to the expected digest: it is written under `<root>/tmp` and
 * renamed into place, so a killed download leaves nothing half-visible.
 */
export class BlobStore {
  readonly dir: string;
  readonly tmp: string;

  constructor(root: string) {
    this.dir = join(root, 'blobs', 'sha256');
    this.tmp = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.tmp, { recursive: true });
  }

  path(digest: string): string {
    return join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(
      () => true,
      () => false,
    );
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch {
      throw new NotFound(`blob ${digest} is not in the store`);
    }
  }

  async putBuffer(data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (await this.has(digest)) return digest;
    // staged in tmp/ (cleared on open) so a crash never leaves debris next to the blobs
    const tmpPath = join(this.tmp, `blob-${digestHex(digest).slice(0, 16)}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFileAtomic(tmpPath, data);
      await rename(tmpPath, this.path(digest));
    } catch (e) {
      // ENOENT (debug) when writeFileAtomic had already removed it
      await unlink(tmpPath).catch(cleanupFailed(log, 'removing a blob temp file', { file: tmpPath, digest }));
      throw e;
    }
    return digest;
  }

  /** Streams `input` into the store, verifying the digest (and size when known) on the way. */
  async putStream(digest: string, input: Readable, opts: { size?: number; onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<void> {
    const hex = digestHex(digest);
    const tmpPath = join(this.tmp, `blob-${hex.slice(0, 16)}-${randomBytes(4).toString('hex')}`);
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        // a registry that sends more than the descriptor says is cut off, not stored
        if (opts.size !== undefined && received > opts.size) {
          cb(new InvalidArgument(`blob ${digest} is oversized: expected ${opts.size} bytes, the registry sent more`));
          return;
        }
        hash.update(chunk);
        opts.onBytes?.(received);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(input, meter, createWriteStream(tmpPath), { signal: opts.signal });
      if (opts.size !== undefined && received !== opts.size) {
        throw new InvalidArgument(`blob ${digest} is truncated: expected ${opts.size} bytes, got ${received}`);
      }
      const actual = hash.digest('hex');
      if (actual !== hex) throw new InvalidArgument(`digest mismatch for blob ${digest}: the content hashes to sha256:${actual}`);
      await rename(tmpPath, this.path(digest));
    } catch (e) {
      await unlink(tmpPath).catch(cleanupFailed(log, 'removing a blob temp file', { file: tmpPath, digest }));
      throw e;
    }
  }

  /** digests of every stored blob */
  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((hex) => `sha256:${hex}`);
  }

  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}
