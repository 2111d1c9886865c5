import type { BlobStore } from '../store/blob-store.js';
import type { ImageHistoryEntry } from '../types.js';
import type { ImageRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'image' });

/**
 * `docker history`: the config's history entries, newest first, each non-empty one with
 * its layer's unpacked size; the newest carries the image's id, the others `<missing>`.
 */
export async function imageHistory(blobs: BlobStore, layers: LayerStore, image: ImageRecord): Promise<ImageHistoryEntry[]> {
  let entries: Record<string, unknown>[] = [];
  try {
    const config = JSON.parse((await blobs.read(image.configDigest)).toString('utf8')) as { history?: unknown };
    if (Array.isArray(config.history)) entries = config.history.filter((h): h is Record<string, unknown> => !!h && typeof h === 'object');
  } catch (e) {
    // an unreadable config still lists the layers below
    log.debug('reading an image config for its history', { image: image.id, err: e });
  }
  const sizes = await Promise.all(image.chainIDs.map(async (c, i) => (await layers.meta(c))?.size ?? image.layers[i]?.size ?? 0));
  const out: Omit<ImageHistoryEntry, 'id'>[] = [];
  let layer = 0;
  for (const h of entries) {
    const empty = h.empty_layer === true || layer >= sizes.length;
    out.push({
      created: typeof h.created === 'string' ? h.created : '',
      createdBy: typeof h.created_by === 'string' ? h.created_by : '',
      comment: typeof h.comment === 'string' ? h.comment : '',
      size: empty ? 0 : sizes[layer]!,
      emptyLayer: empty,
    });
    if (!empty) layer++;
  }
  // layers the history does not account for (configs without history)
  for (; layer < sizes.length; layer++) out.push({ created: image.created, createdBy: '', comment: '', size: sizes[layer]!, emptyLayer: false });
  return out.reverse().map((e, i) => ({ id: i === 0 ? image.id : '<missing>', ...e }));
}
