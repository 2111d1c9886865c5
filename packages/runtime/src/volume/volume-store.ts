import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound } from '../errors.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { FORMAT, readVersioned, withVersion } from '../store/format-version.js';
import { logger } from '@skiff/logger';
import type { Readable } from 'node:stream';
import { packVolume, unpackVolume } from './volume-archive.js';

const log = logger.child({ component: 'volume' });

export interface Volume {
  name: string;
  driver: 'local';
  mountpoint: string; // <root>/volumes/<name>/_data
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

/** Docker's rule for volume names; it also keeps every name a single safe path component. */
export function validateVolumeName(name: string): string {
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new InvalidArgument(`invalid volume name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, and no path separators`);
  }
  return name;
}

/**
 * Local volumes under `<root>/volumes/<name>/`: `_data` is what containers mount,
 * `meta.json` records labels and whether the volume is anonymous.
 */
export class VolumeStore {
  private readonly dir: string;
  private inUse: (name: string) => string[] = () => [];
  /** lifecycle events (create, destroy) for `events` */
  onEvent: (action: string, name: string) => void = () => {};

  private constructor(root: string) {
    this.dir = join(root, 'volumes');
  }

  static async open(root: string): Promise<VolumeStore> {
    const s = new VolumeStore(root);
    await mkdir(s.dir, { recursive: true, mode: 0o700 });
    return s;
  }

  /** ids of containers using a volume (set by the runtime) */
  setUsage(fn: (name: string) => string[]): void {
    this.inUse = fn;
  }

  private path(name: string): string {
    return join(this.dir, validateVolumeName(name));
  }

  async create(name?: string, opts: { labels?: Record<string, string> } = {}): Promise<Volume> {
    const anonymous = !name;
    const n = name ? validateVolumeName(name) : randomBytes(32).toString('hex');
    const existing = await this.find(n);
    if (existing) return existing; // Docker: creating an existing volume is a no-op
    const dir = this.path(n);
    await mkdir(join(dir, '_data'), { recursive: true, mode: 0o755 });
    const v: Volume = { name: n, driver: 'local', mountpoint: join(dir, '_data'), createdAt: new Date().toISOString(), labels: opts.labels ?? {}, anonymous };
    await writeJsonAtomic(join(dir, 'meta.json'), withVersion(FORMAT.volume, v));
    this.onEvent('create', n);
    return v;
  }

  /** undefined when there is no such volume; a newer release's volume is refused (FormatTooNew), never overwritten */
  async find(name: string): Promise<Volume | undefined> {
    const file = join(this.path(name), 'meta.json');
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
    return readVersioned<Volume>(file, json, FORMAT.volume);
  }

  async inspect(name: string): Promise<Volume & { usedBy: string[] }> {
    const v = await this.find(name);
    if (!v) throw new NotFound(`no such volume: ${name}`);
    return { ...v, usedBy: this.inUse(v.name) };
  }

  async list(filters: { dangling?: boolean; label?: string[]; name?: string[] } = {}): Promise<(Volume & { usedBy: string[] })[]> {
    const out: (Volume & { usedBy: string[] })[] = [];
    for (const n of await readdir(this.dir)) {
      const v = await this.find(n).catch((e: unknown) => {
        log.error('a volume is skipped', { volume: n, err: e });
        return undefined;
      });
      if (!v) continue;
      const usedBy = this.inUse(v.name);
      if (filters.dangling !== undefined && (usedBy.length === 0) !== filters.dangling) continue;
      if (filters.name?.length && !filters.name.some((f) => v.name.includes(f))) continue;
      if (filters.label?.length && !filters.label.every((l) => (l.includes('=') ? v.labels[l.split('=')[0]!] === l.slice(l.indexOf('=') + 1) : l in v.labels)))
        continue;
      out.push({ ...v, usedBy });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = await this.find(name);
    if (!v) {
      if (opts.force) return;
      throw new NotFound(`no such volume: ${name}`);
    }
    const users = this.inUse(v.name);
    if (users.length) throw new Conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await rm(this.path(v.name), { recursive: true, force: true });
    this.onEvent('destroy', v.name);
  }

  /** the volume's content as a tar stream (backups; see volume-archive.ts) */
  async archive(name: string): Promise<Readable> {
    const v = await this.inspect(name);
    return packVolume(v.mountpoint);
  }

  /**
   * Extracts a tar stream into the volume, emptied first with `replace`. Whether containers
   * that use it may be running meanwhile is the caller's decision (it knows their states).
   */
  async restore(name: string, input: NodeJS.ReadableStream, opts: { replace?: boolean } = {}): Promise<void> {
    const v = await this.inspect(name);
    await unpackVolume(v.mountpoint, input, { replace: opts.replace });
  }

  async size(name: string): Promise<number> {
    return du(join(this.path(name), '_data'));
  }

  /** Removes unused volumes; like Docker, only anonymous ones unless `all`. */
  async prune(opts: { all?: boolean } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const v of await this.list({ dangling: true })) {
      if (!v.anonymous && !opts.all) continue;
      spaceReclaimed += await du(v.mountpoint);
      await this.remove(v.name);
      deleted.push(v.name);
    }
    return { deleted, spaceReclaimed };
  }
}

async function du(path: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += await du(p);
    else total += (await stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
