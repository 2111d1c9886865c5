import type { BlobStore } from '../store/blob-store.js';
import type { ImageRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';

/**
 * Removes layers and blobs that none of `images` references and `pinned` does not hold
 * (running pulls, saves, commits). Returns the ChainIDs of the layers removed.
 */
export async function collectGarbage(
  images: Iterable<ImageRecord>,
  layers: LayerStore,
  blobs: BlobStore,
  pinned: (digest: string) => boolean,
): Promise<string[]> {
  // layers by ChainID, blobs by digest: kept apart, since a base layer's ChainID is its diffID,
  // which is also the digest of its uncompressed blob (loaded archives, imports)
  const keepLayers = new Set<string>();
  const keep = new Set<string>();
  for (const i of images) {
    for (const c of i.chainIDs) keepLayers.add(c);
    keep.add(i.configDigest);
    keep.add(i.manifestDigest);
    for (const l of i.layers) keep.add(l.digest);
    // index manifests (manifest lists) stay while an image's repoDigest names them
    for (const r of i.repoDigests) keep.add(r.slice(r.lastIndexOf('@') + 1));
  }
  const removed: string[] = [];
  // pins are checked just before each removal: a pull may start while this runs
  await inParallel(await layers.list(), async (chainID) => {
    if (keepLayers.has(chainID) || pinned(chainID)) return;
    await layers.remove(chainID);
    removed.push(chainID);
  });
  await inParallel(await blobs.list(), async (digest) => {
    if (!keep.has(digest) && !pinned(digest)) await blobs.remove(digest);
  });
  return removed;
}

/** a few removals at a time: one by one, a prune of thousands of blobs waits on each unlink's round trip */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
