import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { cleanupFailed, logger } from '@skiff/logger';
import type { BlobStore } from '../store/blob-store.js';
import { DigestTap } from '../store/digest-tap.js';
import { ZstdCompress } from './compress.js';
import { InvalidArgument, NotFound } from '../errors.js';
import type { ImageIndex, ImageRecord, LayerRecord } from './image-index.js';
import { parseJson } from './manifest.js';
import { MEDIA } from './registry-client.js';

const log = logger.child({ component: 'image' });

/** layer media types whose blob is a plain tar (imported and loaded images keep their layers so) */
const PLAIN_TAR = new Set<string>([MEDIA.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar']);
const GZIP = new Set<string>([MEDIA.ociLayerGzip, MEDIA.dockerLayerGzip]);

export const hasPlainLayers = (image: ImageRecord) => image.layers.some((l) => PLAIN_TAR.has(l.mediaType));
export const isGzipLayer = (l: LayerRecord) => GZIP.has(l.mediaType);

/** how push compresses plain-tar layers (layers already compressed are pushed as they are) */
export type PushCompression = 'gzip' | 'zstd';

const isCompressedAs = (l: LayerRecord, compression: PushCompression) => (compression === 'zstd' ? l.mediaType === MEDIA.ociLayerZstd : isGzipLayer(l));

/**
 * A stored blob compressed for push, deterministically: gzip as the layer writer does
 * (level 6, no name, mtime 0), zstd at level 3 without checksum. The same tar always gives
 * the same digest, so pushes of it agree wherever it was compressed.
 */
export async function compressBlob(blobs: BlobStore, digest: string, compression: PushCompression = 'gzip'): Promise<{ digest: string; size: number }> {
  const tmp = join(blobs.tmp, `${compression}-${randomBytes(6).toString('hex')}`);
  const tap = new DigestTap();
  try {
    await pipeline(
      createReadStream(blobs.path(digest)),
      compression === 'zstd' ? new ZstdCompress(3) : createGzip({ level: 6, strategy: zlibConstants.Z_DEFAULT_STRATEGY }),
      tap,
      createWriteStream(tmp, { mode: 0o644 }),
    );
    const out = tap.digest();
    if (!(await blobs.has(out))) await rename(tmp, blobs.path(out));
    return { digest: out, size: tap.size };
  } finally {
    // renamed into the store on success: ENOENT is the usual case and logs at debug
    await unlink(tmp).catch(cleanupFailed(log, 'removing a push compression temp file', { file: tmp }));
  }
}

/**
 * What a registry receives for `image`: its plain-tar layers as gzip or zstd (`known` gives
 * one some image already has by diffID; otherwise compressed now) and a manifest listing
 * them. The config, so the image id, stays; `pin` keeps each new blob until the record names it.
 */
export async function compressedLayers(
  blobs: BlobStore,
  image: ImageRecord,
  known: (diffID: string) => LayerRecord | undefined,
  pin: (digest: string) => void,
  compression: PushCompression = 'gzip',
): Promise<{ layers: LayerRecord[]; manifestDigest: string }> {
  const docker = image.manifestMediaType === MEDIA.dockerManifest;
  const layerType = compression === 'zstd' ? MEDIA.ociLayerZstd : docker ? MEDIA.dockerLayerGzip : MEDIA.ociLayerGzip;
  const layers: LayerRecord[] = [];
  for (const l of image.layers) {
    if (!PLAIN_TAR.has(l.mediaType)) {
      layers.push({ ...l });
      continue;
    }
    const have = known(l.diffID);
    const blob = have ?? { ...(await compressBlob(blobs, l.digest, compression)) };
    pin(blob.digest);
    layers.push({ digest: blob.digest, diffID: l.diffID, size: blob.size, mediaType: layerType });
  }
  const manifest = parseJson<{ layers?: Record<string, unknown>[] } & Record<string, unknown>>(
    await blobs.read(image.manifestDigest),
    `manifest of ${image.id}`,
  );
  // each entry keeps its other fields (annotations); digest, size and type are the compressed blob's
  manifest.layers = layers.map((l, i) => ({ ...(manifest.layers?.[i] ?? {}), mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const manifestDigest = await blobs.putBuffer(Buffer.from(JSON.stringify(manifest)));
  pin(manifestDigest);
  return { layers, manifestDigest };
}

/**
 * The image as pushed: with plain-tar layers, they are compressed once (gzip, or zstd when
 * asked) and the record keeps that form (same config, so the same id), so every later push
 * sends the same digests (a Debian base: 497 MB plain, ~51 MB gzip). Pinned against garbage
 * collection meanwhile. zstd needs an OCI manifest: a Docker schema2 one has no zstd layer
 * type, and converting it would change the config's media type too, so it is refused.
 */
export async function compressForPush(
  store: { blobs: BlobStore; index: ImageIndex; pins: Set<Set<string>> },
  image: ImageRecord,
  compression: PushCompression = 'gzip',
): Promise<ImageRecord> {
  if (!hasPlainLayers(image)) return image;
  if (compression === 'zstd' && image.manifestMediaType === MEDIA.dockerManifest) {
    throw new InvalidArgument(
      'cannot push with zstd compression: the image has a Docker v2 schema2 manifest, which has no zstd layer type (zstd layers need an OCI manifest); push it with gzip',
    );
  }
  const pinned = new Set<string>();
  store.pins.add(pinned);
  try {
    const known = (diffID: string) => {
      for (const i of store.index.values()) for (const l of i.layers) if (l.diffID === diffID && isCompressedAs(l, compression)) return l;
      return undefined;
    };
    const { layers, manifestDigest } = await compressedLayers(store.blobs, image, known, (d) => pinned.add(d), compression);
    return await store.index.update((change) => {
      const current = change.images.get(image.id);
      if (!current) throw new NotFound(`no such image: ${image.id}`);
      if (!hasPlainLayers(current)) return current; // another push compressed it meanwhile
      const updated = { ...current, layers, manifestDigest };
      change.put(updated);
      return updated;
    });
  } finally {
    store.pins.delete(pinned);
  }
}
