import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, isSkiffError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { ImageConfig } from '../types.js';
import { decompressorFor } from './decompress.js';

/**
 * `docker import`'s layer: the tarball (plain, gzip or zstd) stored uncompressed as one
 * blob whose digest is its diffID. The caller unpacks it, which also refuses hostile
 * entries (`..`, writes through symlinks).
 */
export async function importLayerBlob(blobs: BlobStore, input: Readable, signal?: AbortSignal): Promise<{ diffID: string; size: number }> {
  const tmp = join(blobs.tmp, `import-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    const decompress = await decompressorFor(input);
    const sink = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    if (decompress) await pipeline(input, decompress, tap, sink, { signal });
    else await pipeline(input, tap, sink, { signal });
    if (size === 0) throw new InvalidArgument('the imported tarball is empty');
    const diffID = `sha256:${hash.digest('hex')}`;
    if (!(await blobs.has(diffID))) await rename(tmp, blobs.path(diffID));
    return { diffID, size };
  } catch (e) {
    if (isSkiffError(e) || (e as Error).name === 'AbortError') throw e;
    throw new InvalidArgument(`cannot read the tarball to import: ${(e as Error).message}`, { cause: e });
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** The config of an imported image, as `docker import` writes it. */
export function importConfig(diffID: string, config: ImageConfig, comment: string): Buffer {
  const created = new Date().toISOString();
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config,
      rootfs: { type: 'layers', diff_ids: [diffID] },
      history: [{ created, comment }],
    }),
  );
}
