import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { FORMAT, readVersioned, withVersion } from '../store/format-version.js';
import { JournaledMap } from '../store/journaled-map.js';
import { SkiffError } from '../errors.js';
import type { ImageConfig } from '../types.js';
import { afterSettled } from '../settled.js';

export interface LayerRecord {
  digest: string; // compressed blob digest
  diffID: string; // uncompressed tar digest
  size: number; // compressed size
  mediaType: string;
}

export interface ImageRecord {
  id: string; // config digest
  repoTags: string[];
  repoDigests: string[];
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  layers: LayerRecord[];
  chainIDs: string[];
  created: string;
  architecture: string;
  os: string;
  config: ImageConfig;
  /** unpacked bytes of all layers */
  size: number;
  /** the image a build step or commit made this one on (Docker's local `Parent`) */
  parent?: string;
}

/** One change to the index: what `ImageIndex.update` hands its function. */
export interface IndexChange {
  readonly images: ReadonlyMap<string, ImageRecord>;
  /** stores a new or changed record (a record changed in place must be put again) */
  put(record: ImageRecord): void;
  delete(id: string): void;
}

/**
 * Every image record: `images/index.json` (a snapshot) plus a journal of the records each
 * change touched (see journaled-map.ts), so a build step writes its one new record instead
 * of the whole index. Changes are serialised so concurrent pulls and tags never lose each
 * other's writes.
 */
export class ImageIndex {
  private map?: JournaledMap<ImageRecord>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(root: string) {
    this.file = join(root, 'images', 'index.json');
  }

  private get images(): Map<string, ImageRecord> {
    if (!this.map) throw new SkiffError('INTERNAL', 'the image index is used before it was loaded');
    return this.map.entries;
  }

  async load(): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    // the journal carries no version of its own: a snapshot (empty at first) always
    // exists beside it to say which format both are in
    if (!existsSync(this.file)) await writeJsonAtomic(this.file, withVersion(FORMAT.imageIndex, { images: [] }));
    this.map = await JournaledMap.open<ImageRecord>({
      file: this.file,
      fromSnapshot: (json) => readVersioned<{ images: ImageRecord[] }>(this.file, json, FORMAT.imageIndex).images.map((i) => [i.id, i]),
      toSnapshot: (entries) => withVersion(FORMAT.imageIndex, { images: [...entries.values()] }),
      onCorrupt: 'throw',
    });
  }

  all(): ImageRecord[] {
    return [...this.images.values()];
  }

  values(): IterableIterator<ImageRecord> {
    return this.images.values();
  }

  get(id: string): ImageRecord | undefined {
    return this.images.get(id);
  }

  /** Runs `fn` with exclusive access and persists the records it put or deleted. */
  update<T>(fn: (change: IndexChange) => T | Promise<T>): Promise<T> {
    const run = afterSettled(this.queue).then(async () => {
      const images = this.images;
      const touched = new Set<string>();
      const result = await fn({
        images,
        put: (r) => {
          images.set(r.id, r);
          touched.add(r.id);
        },
        delete: (id) => {
          if (images.delete(id)) touched.add(id);
        },
      });
      await this.map!.commit(touched);
      return result;
    });
    this.queue = run;
    return run;
  }
}

/** A tag names one image: gives `tag` to `to` (put by the caller) and takes it from any other. */
export function moveTag(change: IndexChange, tag: string, to: ImageRecord): void {
  for (const other of change.images.values()) {
    if (other.id !== to.id && other.repoTags.includes(tag)) change.put({ ...other, repoTags: other.repoTags.filter((t) => t !== tag) });
  }
  if (!to.repoTags.includes(tag)) to.repoTags.push(tag);
}
