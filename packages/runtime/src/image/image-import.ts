import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, isSkiffError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { DigestTap } from '../store/digest-tap.js';
import type { ImageConfig } from '../types.js';
import { archiveManifest } from './archive-format.js';
import { applyChanges } from './config-changes.js';
import { decompressorFor } from './decompress.js';
import { familiarTag, parseReference } from './reference.js';
import { MEDIA } from './registry-client.js';
import type { ImageStoreContext } from './store-context.js';
import { cleanupFailed, logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'image' });

/**
 * `docker import`'s layer: the tarball (plain, gzip or zstd) stored uncompressed as one
 * blob whose digest is its diffID. The caller unpacks it, which also refuses hostile
 * entries (`..`, writes through symlinks).
 */
export async function importLayerBlob(blobs: BlobStore, input: Readable, signal?: AbortSignal): Promise<{ diffID: string; size: number }> {
  const tmp = join(blobs.tmp, `import-${randomBytes(6).toString('hex')}`);
  const tap = new DigestTap();
  try {
    const decompress = await decompressorFor(input);
    const sink = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    if (decompress) await pipeline(input, decompress, tap, sink, { signal });
    else await pipeline(input, tap, sink, { signal });
    if (tap.size === 0) throw new InvalidArgument('the imported tarball is empty');
    const diffID = tap.digest();
    if (!(await blobs.has(diffID))) await rename(tmp, blobs.path(diffID));
    return { diffID, size: tap.size };
  } catch (e) {
    if (isSkiffError(e) || (e as Error).name === 'AbortError') throw e;
    throw new InvalidArgument(`cannot read the tarball to import: ${(e as Error).message}`, { cause: e });
  } finally {
    await unlink(tmp).catch(cleanupFailed(log, 'removing an import temp file', { file: tmp }));
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

/**
 * `docker import`: a filesystem tarball (plain, gzip or zstd) becomes a one-layer image,
 * with `changes` (Dockerfile instructions) applied to an empty config.
 */
export async function importImage(
  ctx: ImageStoreContext,
  input: Readable,
  opts: { ref?: string; changes?: string[]; message?: string; signal?: AbortSignal } = {},
): Promise<{ id: string }> {
  let tag: string | undefined;
  if (opts.ref) {
    const ref = parseReference(opts.ref);
    if (ref.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: ${opts.ref}`);
    tag = familiarTag(ref);
  }
  const config = applyChanges({}, opts.changes ?? []);
  const pinned = new Set<string>();
  ctx.pins.add(pinned);
  try {
    const { diffID, size } = await importLayerBlob(ctx.blobs, input, opts.signal).finally(() => input.resume());
    pinned.add(diffID);
    try {
      const configBlob = importConfig(diffID, config, opts.message || 'Imported from -');
      const configDigest = await ctx.blobs.putBuffer(configBlob);
      pinned.add(configDigest);
      const { meta } = await ctx.layers
        .ensure({ chainID: diffID, diffID, digest: diffID }, () => createReadStream(ctx.blobs.path(diffID)), { signal: opts.signal })
        .catch((e: unknown) => {
          if (isSkiffError(e) || (e as Error).name === 'AbortError') throw e;
          throw new InvalidArgument(`the imported file is not a valid tar archive: ${(e as Error).message}`, { cause: e });
        });
      const manifest = archiveManifest({ digest: configDigest, size: configBlob.length }, [{ mediaType: MEDIA.ociLayer, digest: diffID, size }]);
      const manifestDigest = await ctx.blobs.putBuffer(manifest);
      const parsed = JSON.parse(configBlob.toString('utf8')) as { created: string };
      await ctx.register([
        {
          record: {
            id: configDigest,
            manifestDigest,
            manifestMediaType: MEDIA.ociManifest,
            configDigest,
            layers: [{ digest: diffID, diffID, size, mediaType: MEDIA.ociLayer }],
            chainIDs: [diffID],
            created: parsed.created,
            architecture: 'amd64',
            os: 'linux',
            config,
            size: meta.size,
          },
          tags: tag ? [tag] : [],
        },
      ]);
      ctx.emit('import', configDigest, tag ?? configDigest);
      return { id: configDigest };
    } catch (e) {
      ctx.pins.delete(pinned);
      await ctx.collectGarbage().catch(logFailure(log, 'warn', 'collecting the garbage of a failed import'));
      throw e;
    }
  } finally {
    ctx.pins.delete(pinned);
  }
}
