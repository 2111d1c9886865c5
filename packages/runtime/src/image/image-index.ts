import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { SkiffError } from '../errors.js';
import type { ImageConfig } from '../types.js';

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
}

/**
 * `images/index.json`: every image record, rewritten atomically on each change. Changes
 * are serialised so concurrent pulls and tags never lose each other's writes.
 */
export class ImageIndex {
  private images = new Map<string, ImageRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(root: string) {
    this.file = join(root, 'images', 'index.json');
  }

  async load(): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    const text = await readFile(this.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    let list: ImageRecord[] = [];
    try {
      if (text) list = (JSON.parse(text) as { images: ImageRecord[] }).images;
    } catch (e) {
      // refuse to start on it rather than silently forget every image
      throw new SkiffError('INTERNAL', `${this.file} is corrupt (${(e as Error).message}); move it away to start with no images`, { cause: e });
    }
    this.images = new Map(list.map((i) => [i.id, i]));
  }

  all(): ImageRecord[] {
    return [...this.images.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.images.get(id);
  }

  /** Runs `fn` with exclusive access and persists the result. */
  update<T>(fn: (images: Map<string, ImageRecord>) => T | Promise<T>): Promise<T> {
    const run = this.queue.catch(() => {}).then(async () => {
      const result = await fn(this.images);
      await writeJsonAtomic(this.file, { images: [...this.images.values()] });
      return result;
    });
    this.queue = run;
    return run;
  }
}
