import type { ImageDiskUsage } from '../types.js';
import type { ImageRecord } from './image-index.js';
import { imageSummary } from './image-lookup.js';
import type { LayerStore } from './layer-store.js';

/**
 * `docker system df` as dockerd counts: an image's size is all its layers, its shared size
 * the layers another listed image has too; the total counts every layer on disk once
 * (summing image sizes counted a shared base once per image: 8.6 GB for 0.5 GB on disk).
 */
export async function imageDiskUsage(listed: ImageRecord[], layers: LayerStore): Promise<ImageDiskUsage> {
  const sizes = new Map<string, number>();
  for (const chainID of await layers.list()) {
    const meta = await layers.meta(chainID);
    // a layer being removed right now has no meta.json: it holds nothing any more
    if (meta) sizes.set(chainID, meta.size);
  }
  const refs = new Map<string, number>();
  for (const i of listed) for (const c of new Set(i.chainIDs)) refs.set(c, (refs.get(c) ?? 0) + 1);
  const images = listed.map((i) => {
    let size = 0;
    let shared = 0;
    for (const c of new Set(i.chainIDs)) {
      const s = sizes.get(c) ?? 0;
      size += s;
      if ((refs.get(c) ?? 0) > 1) shared += s;
    }
    return { ...imageSummary(i), size, sharedSize: shared, uniqueSize: size - shared };
  });
  return { layersSize: [...sizes.values()].reduce((a, s) => a + s, 0), images };
}
