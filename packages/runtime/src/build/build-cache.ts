import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeJsonAtomic } from '../store/atomic-file.js';

/**
 * The build cache, keyed like Docker's classic builder: the parent image, the step as
 * evaluated (variables expanded, build args that RUN sees), and for COPY/ADD the
 * checksum of the files copied. A hit is only used while its image still exists.
 */
export class BuildCache {
  private entries: Record<string, string> = {};
  private loaded = false;

  constructor(private readonly file: string) {}

  static key(parentImageId: string, step: string, extra: string[] = []): string {
    const h = createHash('sha256');
    h.update(`${parentImageId}\n${step}\n`);
    for (const e of extra) h.update(`${e}\n`);
    return h.digest('hex');
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    try {
      this.entries = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch {
      this.entries = {}; // no cache yet, or a damaged one: rebuilding is always correct
    }
    this.loaded = true;
  }

  async get(key: string, exists: (imageId: string) => boolean | Promise<boolean>): Promise<string | undefined> {
    await this.load();
    const id = this.entries[key];
    return id && (await exists(id)) ? id : undefined;
  }

  async set(key: string, imageId: string): Promise<void> {
    await this.load();
    this.entries[key] = imageId;
    await writeJsonAtomic(this.file, this.entries);
  }

  /** drops entries whose images are gone (after image prune/rm) */
  async prune(exists: (imageId: string) => boolean): Promise<number> {
    await this.load();
    const before = Object.keys(this.entries).length;
    this.entries = Object.fromEntries(Object.entries(this.entries).filter(([, id]) => exists(id)));
    await writeJsonAtomic(this.file, this.entries);
    return before - Object.keys(this.entries).length;
  }
}
