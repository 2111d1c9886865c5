import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound } from '../../errors.js';
import { writeJsonAtomic, writeJsonAtomicUnsynced } from '../../store/atomic-file.js';
import { FORMAT, readVersioned, withVersion } from '../../store/format-version.js';
import { initialState, type ContainerRecord, type ContainerState } from './container-record.js';
import { diskFullError } from '../lifecycle/disk-errors.js';
import { visibleHere } from './internal-containers.js';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'store' });

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface StoredContainer {
  record: ContainerRecord;
  state: ContainerState;
  dir: string;
}

/**
 * The on-disk container table (`<root>/containers/<id>/`), with an in-memory index of
 * ids and names. Disk is the source of truth; the index is rebuilt on open.
 */
export class ContainerStore {
  private readonly byId = new Map<string, StoredContainer>();
  private readonly byName = new Map<string, string>();
  /** containers a newer release recorded: not opened, left alone (see open) */
  private readonly skipped = new Set<string>();
  /** newest first, kept between membership changes (see newestFirst) */
  private newest?: readonly StoredContainer[];

  private constructor(
    readonly dir: string,
    /** removed containers' directories, deleted in the background */
    private readonly trash: string,
  ) {}

  static async open(root: string): Promise<ContainerStore> {
    const store = new ContainerStore(join(root, 'containers'), join(root, 'trash'));
    await mkdir(store.dir, { recursive: true });
    await mkdir(store.trash, { recursive: true });
    // what an earlier agent had not finished deleting
    for (const left of await readdir(store.trash))
      void rm(join(store.trash, left), { recursive: true, force: true }).catch(cleanupFailed(log, 'emptying the trash', { container: left }));
    for (const id of await readdir(store.dir)) {
      const dir = join(store.dir, id);
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      } catch {
        // A create that died before writing config.json: nothing references it.
        await rm(dir, { recursive: true, force: true }).catch(cleanupFailed(log, 'removing a half-created container', { container: id }));
        continue;
      }
      try {
        store.index(await readContainer(dir, raw));
      } catch (e) {
        // a newer release's container (FormatTooNew) or a damaged version is left as it is
        // (its shim keeps running) and its name stays taken; the rest of the root opens
        log.error('a container is skipped', { container: id, err: e });
        store.skipped.add(id);
        const name = (raw as { name?: unknown }).name;
        if (typeof name === 'string') store.byName.set(name, id);
      }
    }
    return store;
  }

  private index(c: StoredContainer): void {
    this.newest = undefined;
    this.byId.set(c.record.id, c);
    // an internal container's name is nobody's: it must not block or reveal a user's name
    if (!c.record.internal) this.byName.set(c.record.name, c.record.id);
  }

  newId(): string {
    let id: string;
    do id = randomBytes(32).toString('hex');
    while (this.byId.has(id));
    return id;
  }

  /** Docker-style generated name, unique among existing containers. */
  newName(): string {
    const adjectives = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'swift', 'tidy', 'wise'];
    const nouns = ['otter', 'heron', 'lynx', 'marten', 'puffin', 'tern', 'vole', 'wren', 'ibis', 'kestrel', 'newt', 'pike'];
    for (;;) {
      const pick = (a: string[]) => a[randomBytes(1)[0]! % a.length]!;
      const name = `${pick(adjectives)}_${pick(nouns)}${randomBytes(1)[0]! % 100}`;
      if (!this.byName.has(name)) return name;
    }
  }

  validateName(name: string): string {
    const n = name.startsWith('/') ? name.slice(1) : name;
    if (!NAME_RE.test(n)) throw new InvalidArgument(`invalid container name "${name}", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const existing = this.byName.get(n);
    if (existing) {
      throw new Conflict(
        `the container name "/${n}" is already in use by container "${existing}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    return n;
  }

  async add(record: ContainerRecord): Promise<StoredContainer> {
    const dir = join(this.dir, record.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const c: StoredContainer = { record, state: initialState(), dir };
    try {
      await this.saveState(c);
      await writeJsonAtomic(join(dir, 'config.json'), withVersion(FORMAT.container, record));
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw diskFullError(e, `the new container's record`);
    }
    this.index(c);
    return c;
  }

  async saveRecord(c: StoredContainer): Promise<void> {
    await writeJsonAtomic(join(c.dir, 'config.json'), withVersion(FORMAT.container, c.record));
  }

  /**
   * Written synchronously, so writes land in call order and a late snapshot can never
   * roll a newer one back (the health monitor saves on its own clock). Not fsync'ed:
   * after a host crash the recorded state is checked against the shim anyway (a dead
   * shim means exited), and open() survives an empty file.
   */
  async saveState(c: StoredContainer): Promise<void> {
    writeJsonAtomicUnsynced(join(c.dir, 'state.json'), withVersion(FORMAT.containerState, c.state));
  }

  async rename(c: StoredContainer, newName: string): Promise<void> {
    const n = this.validateName(newName);
    this.byName.delete(c.record.name);
    c.record.name = n;
    this.byName.set(n, c.record.id);
    await this.saveRecord(c);
  }

  /** The directory leaves at once (a rename); its contents are deleted in the background. */
  async delete(c: StoredContainer): Promise<void> {
    this.newest = undefined;
    this.byId.delete(c.record.id);
    if (this.byName.get(c.record.name) === c.record.id) this.byName.delete(c.record.name);
    const gone = join(this.trash, `${c.record.id}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(this.trash, { recursive: true });
      renameSync(c.dir, gone);
    } catch {
      await rm(c.dir, { recursive: true, force: true });
      return;
    }
    void rm(gone, { recursive: true, force: true }).catch(cleanupFailed(log, 'deleting a removed container directory', { container: c.record.id }));
  }

  /** ids of the containers open() skipped: their network endpoints and netns are kept too */
  skippedIds(): string[] {
    return [...this.skipped];
  }

  /** every container, internal ones too (the runtime's bookkeeping) */
  all(): StoredContainer[] {
    return [...this.byId.values()];
  }

  /**
   * Every container, newest first, as `ps` lists them. Sorted once per add/delete, not per
   * call: concurrent creates are indexed out of creation order (a create's timestamp is
   * taken before its awaits) and a restarted agent indexes in readdir order, so the map's
   * order alone would need a sort of 1000 timestamps on every `ps`. The timestamps share
   * one ISO format, so code-unit order is time order.
   */
  newestFirst(): readonly StoredContainer[] {
    this.newest ??= Object.freeze(
      [...this.byId.values()]
        .filter((c) => !c.record.internal)
        .sort((a, b) => (a.record.created < b.record.created ? 1 : a.record.created > b.record.created ? -1 : 0)),
    );
    return this.newest;
  }

  /**
   * Full id, unique id prefix, or name (with or without the leading slash), as Docker
   * resolves; an internal container only for the code that owns it (internal-containers.ts).
   */
  get(idOrName: string): StoredContainer {
    const found = this.find(idOrName);
    if (!found || !visibleHere(found.record)) throw new NotFound(`no such container: ${idOrName}`);
    return found;
  }

  /** The same lookup for the runtime's bookkeeping: a full id finds internal containers too. */
  find(idOrName: string): StoredContainer | undefined {
    if (!idOrName) return undefined;
    const direct = this.byId.get(idOrName);
    if (direct) return direct;
    const name = idOrName.startsWith('/') ? idOrName.slice(1) : idOrName;
    const byName = this.byName.get(name);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(idOrName)) return undefined;
    const matches = [...this.byId.values()].filter((c) => c.record.id.startsWith(idOrName) && visibleHere(c.record)).map((c) => c.record.id);
    if (matches.length > 1) throw new InvalidArgument(`multiple containers match the id prefix "${idOrName}"; use more characters`);
    return matches.length ? this.byId.get(matches[0]!) : undefined;
  }
}

/**
 * One container's config.json (already parsed) and state.json, migrated to this release's
 * shapes. A state.json lost to a power loss (it is not fsync'ed) reads as the initial
 * state; one from a newer release is refused like the record.
 */
async function readContainer(dir: string, raw: unknown): Promise<StoredContainer> {
  const record = readVersioned<ContainerRecord>(join(dir, 'config.json'), raw, FORMAT.container);
  const stateFile = join(dir, 'state.json');
  const stateJson = await readFile(stateFile, 'utf8')
    .then((t) => JSON.parse(t) as unknown)
    .catch((e: unknown) => {
      log.warn('state.json is unreadable: the container starts over as created', { file: stateFile, err: e });
      return undefined;
    });
  const state = stateJson === undefined ? initialState() : readVersioned<ContainerState>(stateFile, stateJson, FORMAT.containerState);
  return { record, state, dir };
}
