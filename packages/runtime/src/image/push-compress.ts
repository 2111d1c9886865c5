import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { cleanupFailed, logger } from '@skiff/logger';
import type { BlobStore } from '../store/blob-store.js';
import { DigestTap } from '../store/digest-tap.js';
import { NotFound } from '../errors.js';
import type { ImageIndex, ImageRecord, LayerRecord } from './image-index.js';
import { parseJson } from './manifest.js';
import { MEDIA } from './registry-client.js';

const log = logger.child({ component: 'image' });

/** layer media types whose blob is a plain tar (imported and loaded images keep their layers so) */
const PLAIN_TAR = new Set<string>([MEDIA.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar']);
const GZIP = new Set<string>([MEDIA.ociLayerGzip, MEDIA.dockerLayerGzip]);

export const hasPlainLayers = (image: ImageRecord) => image.layers.some((l) => PLAIN_TAR.has(l.mediaType));
export const isGzipLayer = (l: LayerRecord) => GZIP.has(l.mediaType);

/**
 * gzip of a stored blob, as the layer writer compresses (level 6, no name, mtime 0): the
 * same tar always gives the same digest, so pushes of it agree wherever it was compressed.
 */
export async function gzipBlob(blobs: BlobStore, digest: string): Promise<{ digest: string; size: number }> {
  const tmp = join(blobs.tmp, `gzip-${randomBytes(6).toString('hex')}`);
  const tap = new DigestTap();
  try {
    await pipeline(
      createReadStream(blobs.path(digest)),
      createGzip({ level: 6, strategy: zlibConstants.Z_DEFAULT_STRATEGY }),
      tap,
      createWriteStream(tmp, { mode: 0o644 }),
    );
    const out = tap.digest();
    if (!(await blobs.has(out))) await rename(tmp, blobs.path(out));
    return { digest: out, size: tap.size };
  } finally {
    // renamed into the store on success: ENOENT is the usual case and logs at debug
    await unlink(tmp).catch(cleanupFailed(log, 'removing a push gzip temp file', { file: tmp }));
  }
}

/**
 * What a registry receives for `image`: its plain-tar layers as gzip (`known` gives one some
 * image already has by diffID; otherwise compressed now) and a manifest listing them. The
 * config, so the image id, stays; `pin` keeps each new blob until the record names it.
 */
export async function compressedLayers(
  blobs: BlobStore,
  image: ImageRecord,
  known: (diffID: string) => LayerRecord | undefined,
  pin: (digest: string) => void,
): Promise<{ layers: LayerRecord[]; manifestDigest: string }> {
  const gzipType = image.manifestMediaType === MEDIA.dockerManifest ? MEDIA.dockerLayerGzip : MEDIA.ociLayerGzip;
  const layers: LayerRecord[] = [];
  for (const l of image.layers) {
    if (!PLAIN_TAR.has(l.mediaType)) {
      layers.push({ ...l });
      continue;
    }
    const have = known(l.diffID);
    const gz = have ?? { ...(await gzipBlob(blobs, l.digest)) };
    pin(gz.digest);
    layers.push({ digest: gz.digest, diffID: l.diffID, size: gz.size, mediaType: gzipType });
  }
  const manifest = parseJson<{ layers?: Record<string, unknown>[] } & Record<string, unknown>>(
    await blobs.read(image.manifestDigest),
    `manifest of ${image.id}`,
  );
  // each entry keeps its other fields (annotations); digest, size and type are the gzip blob's
  manifest.layers = layers.map((l, i) => ({ ...(manifest.layers?.[i] ?? {}), mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const manifestDigest = await blobs.putBuffer(Buffer.from(JSON.stringify(manifest)));
  pin(manifestDigest);
  return { layers, manifestDigest };
}

/**
 * The image as pushed: with plain-tar layers, they are gzipped once and the record keeps
 * the gzip form (same config, so the same id), so every later push sends the same digests
 * (a Debian base: 497 MB plain, ~51 MB gzip). Pinned against garbage collection meanwhile.
 */
export async function compressForPush(store: { blobs: BlobStore; index: ImageIndex; pins: Set<Set<string>> }, image: ImageRecord): Promise<ImageRecord> {
  if (!hasPlainLayers(image)) return image;
  const pinned = new Set<string>();
  store.pins.add(pinned);
  try {
    const known = (diffID: string) => {
      for (const i of store.index.values()) for (const l of i.layers) if (l.diffID === diffID && isGzipLayer(l)) return l;
      return undefined;
    };
    const { layers, manifestDigest } = await compressedLayers(store.blobs, image, known, (d) => pinned.add(d));
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
