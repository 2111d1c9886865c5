import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound } from '../errors.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { FORMAT, FormatTooNew, readVersioned, withVersion } from '../store/format-version.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'network' });

export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge' | 'host' | 'null';
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
  /** Linux bridge device */
  bridge?: string;
  /** the default `bridge` network: no name resolution, Docker's legacy links instead */
  isDefault?: boolean;
  builtin?: boolean;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
export const BUILTIN = ['bridge', 'host', 'none'] as const;

export function builtinId(name: string): string {
  return createHash('sha256').update(`skiff-network-${name}`).digest('hex');
}

/** `<root>/networks/<id>/network.json` plus the IPAM table next to it */
export class NetworkStore {
  private readonly dir: string;
  private readonly byId = new Map<string, NetworkRecord>();

  private constructor(root: string) {
    this.dir = join(root, 'networks');
  }

  static async open(root: string): Promise<NetworkStore> {
    const s = new NetworkStore(root);
    await mkdir(s.dir, { recursive: true });
    for (const id of await readdir(s.dir)) {
      const file = join(s.dir, id, 'network.json');
      const json = await readFile(file, 'utf8').then(
        (t) => JSON.parse(t) as unknown,
        () => undefined,
      );
      if (json === undefined) continue; // endpoints/, or a network whose creation died early
      try {
        const rec = readVersioned<NetworkRecord>(file, json, FORMAT.network);
        s.byId.set(rec.id, rec);
      } catch (e) {
        // a newer release's network stays on disk untouched; its name is not reusable here
        if (!(e instanceof FormatTooNew)) throw e;
        log.error('a network is skipped', { network: id, err: e });
      }
    }
    return s;
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  find(idOrName: string): NetworkRecord | undefined {
    const direct = this.byId.get(idOrName) ?? this.all().find((n) => n.name === idOrName);
    if (direct) return direct;
    if (/^[0-9a-f]{3,64}$/.test(idOrName)) {
      const hits = this.all().filter((n) => n.id.startsWith(idOrName));
      if (hits.length > 1) throw new InvalidArgument(`network id prefix "${idOrName}" is ambiguous`);
      return hits[0];
    }
    return undefined;
  }

  get(idOrName: string): NetworkRecord {
    const n = this.find(idOrName);
    if (!n) throw new NotFound(`network ${idOrName} not found`);
    return n;
  }

  validateNewName(name: string): void {
    if (!NAME_RE.test(name)) throw new InvalidArgument(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (this.all().some((n) => n.name === name)) throw new Conflict(`network with name ${name} already exists`);
  }

  newId(): string {
    return randomBytes(32).toString('hex');
  }

  async save(rec: NetworkRecord): Promise<void> {
    await mkdir(join(this.dir, rec.id), { recursive: true });
    await writeJsonAtomic(join(this.dir, rec.id, 'network.json'), withVersion(FORMAT.network, rec));
    this.byId.set(rec.id, rec);
  }

  async delete(rec: NetworkRecord): Promise<void> {
    this.byId.delete(rec.id);
    await rm(join(this.dir, rec.id), { recursive: true, force: true });
  }

  ipamFile(rec: NetworkRecord): string {
    return join(this.dir, rec.id, 'ipam.json');
  }
}
