import { createHash } from 'node:crypto';
import { JournaledMap } from '../store/journaled-map.js';

/**
 * The build cache, keyed like Docker's classic builder: the parent image, the step as
 * evaluated (variables expanded, build args that RUN sees), and for COPY/ADD the
 * checksum of the files copied. A hit is only used while its image still exists.
 * Stored as a journaled map: a step appends its one entry instead of rewriting the file.
 */
export class BuildCache {
  private map?: Promise<JournaledMap<string>>;

  constructor(private readonly file: string) {}

  static key(parentImageId: string, step: string, extra: string[] = []): string {
    const h = createHash('sha256');
    h.update(`${parentImageId}\n${step}\n`);
    for (const e of extra) h.update(`${e}\n`);
    return h.digest('hex');
  }

  private load(): Promise<JournaledMap<string>> {
    // a damaged cache starts over empty: rebuilding is always correct
    this.map ??= JournaledMap.open<string>({
      file: this.file,
      fromSnapshot: (json) => Object.entries(json as Record<string, string>).filter((e): e is [string, string] => typeof e[1] === 'string'),
      toSnapshot: (entries) => Object.fromEntries(entries),
      onCorrupt: 'empty',
    });
    return this.map;
  }

  async get(key: string, exists: (imageId: string) => boolean | Promise<boolean>): Promise<string | undefined> {
    const id = (await this.load()).entries.get(key);
    return id && (await exists(id)) ? id : undefined;
  }

  async set(key: string, imageId: string): Promise<void> {
    const map = await this.load();
    map.entries.set(key, imageId);
    await map.commit([key]);
  }

  /** drops entries whose images are gone (after image prune/rm) */
  async prune(exists: (imageId: string) => boolean): Promise<number> {
    const map = await this.load();
    const gone = [...map.entries].filter(([, id]) => !exists(id)).map(([k]) => k);
    for (const k of gone) map.entries.delete(k);
    await map.commit(gone);
    return gone.length;
  }
}
