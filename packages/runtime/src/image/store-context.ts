import type { BlobStore } from '../store/blob-store.js';
import type { ImageRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';

/** an image to record under its tags (names are the index's to keep) */
export interface Registration {
  record: Omit<ImageRecord, 'repoTags' | 'repoDigests'>;
  tags: string[];
}

/**
 * What the store's load and import flows use of it: its blobs and layers, the pins that
 * keep garbage collection off what they are writing, and the index write they end with.
 */
export interface ImageStoreContext {
  blobs: BlobStore;
  layers: LayerStore;
  /** each running write's set of digests and ChainIDs; garbage collection leaves them alone */
  pins: Set<Set<string>>;
  /** records images under their tags in one index write (a tag moves to its new image) */
  register(records: Registration[]): Promise<void>;
  emit(action: string, id: string, name: string): void;
  /** removes layers and blobs that no image references and no pin holds */
  collectGarbage(): Promise<string[]>;
}
