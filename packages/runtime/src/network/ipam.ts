import { readFile } from 'node:fs/promises';
import { Conflict, InvalidArgument, Unavailable } from '../errors.js';
import { writeFileAtomicUnsynced } from '../store/atomic-file.js';
import { contains, intToIp, ipToInt, parseCidr, size } from './subnet.js';
import { logger } from '@skiff/logger';
import { afterSettled } from '../settled.js';

const log = logger.child({ component: 'ipam' });

/** the file's shape */
interface IpamFile {
  /** ip → owner (container id) */
  allocated: Record<string, string>;
  /** next address to try: sequential like Docker, so a released address is not reused at once */
  cursor: number;
}

interface IpamState {
  allocated: Map<string, string>;
  /** owner → its addresses, so a release does not scan every allocation */
  byOwner: Map<string, Set<string>>;
  cursor: number;
}

function indexOwners(allocated: Map<string, string>): Map<string, Set<string>> {
  const byOwner = new Map<string, Set<string>>();
  for (const [ip, owner] of allocated) {
    let ips = byOwner.get(owner);
    if (!ips) byOwner.set(owner, (ips = new Set()));
    ips.add(ip);
  }
  return byOwner;
}

/** the file's JSON, written straight from the Map (Object.fromEntries of a thousand addresses cost more than the write) */
function serialize(s: IpamState): string {
  const entries: string[] = [];
  for (const [ip, owner] of s.allocated) entries.push(`${JSON.stringify(ip)}:${JSON.stringify(owner)}`);
  return `{"allocated":{${entries.join(',')}},"cursor":${s.cursor}}\n`;
}

/**
 * One network's address allocations, persisted (atomic rewrite) so they survive agent
 * restarts; calls are serialised per network. The file is read once: this process is its
 * only writer. It is not fsync'ed: after a host crash no container runs and reconcile()
 * frees every address. In memory the allocations are Maps with an owner index: with a
 * thousand containers, a plain object that `delete` had turned into a dictionary made each
 * release cost ~2 ms of scanning, copying and pretty-printing (2.3 s for 1000 releases).
 */
export class Ipam {
  private queue: Promise<unknown> = Promise.resolve();
  private state?: IpamState;

  constructor(
    private readonly file: string,
    private readonly subnet: string,
    private readonly gateway: string,
    private readonly ipRange?: string,
  ) {}

  private async load(): Promise<IpamState> {
    if (!this.state) {
      const f = await readFile(this.file, 'utf8').then(
        (t) => JSON.parse(t) as IpamFile,
        () => ({ allocated: {}, cursor: 0 }),
      );
      const allocated = new Map(Object.entries(f.allocated));
      this.state = { allocated, byOwner: indexOwners(allocated), cursor: f.cursor };
    }
    return this.state;
  }

  /**
   * `freeing`: the change only gives addresses back (release, reconcile). It stands even
   * when the file cannot be written (a full disk must not block a removal): a stale file
   * holds extra addresses only, which reconcile() drops on the next open.
   */
  private locked<T>(fn: (s: IpamState) => T | Promise<T>, freeing = false): Promise<T> {
    const run = afterSettled(this.queue).then(async () => {
      const state = await this.load();
      // a failed change must not stay in the cached state
      const before = { allocated: new Map(state.allocated), cursor: state.cursor };
      try {
        const result = await fn(state);
        try {
          writeFileAtomicUnsynced(this.file, serialize(state));
        } catch (e) {
          if (!freeing) throw e;
          log.warn('writing the address file after freeing addresses', { file: this.file, err: e });
        }
        return result;
      } catch (e) {
        this.state = { ...before, byOwner: indexOwners(before.allocated) };
        throw e;
      }
    });
    this.queue = run;
    return run;
  }

  private assign(s: IpamState, ip: string, owner: string): void {
    const prev = s.allocated.get(ip);
    if (prev !== undefined) s.byOwner.get(prev)?.delete(ip);
    s.allocated.set(ip, owner);
    let ips = s.byOwner.get(owner);
    if (!ips) s.byOwner.set(owner, (ips = new Set()));
    ips.add(ip);
  }

  private drop(s: IpamState, owner: string): void {
    for (const ip of s.byOwner.get(owner) ?? []) s.allocated.delete(ip);
    s.byOwner.delete(owner);
  }

  allocate(owner: string, requested?: string): Promise<string> {
    return this.locked((s) => {
      const net = parseCidr(this.subnet);
      const pool = this.ipRange ? parseCidr(this.ipRange) : net;
      const first = net.base + 1;
      const last = net.base + size(net) - 2; // no network or broadcast address
      const usable = (n: number) => n >= first && n <= last && intToIp(n) !== this.gateway;
      if (requested) {
        const n = ipToInt(requested);
        if (!contains(net, n) || !usable(n)) throw new InvalidArgument(`address ${requested} is not usable in subnet ${this.subnet}`);
        const holder = s.allocated.get(requested);
        if (holder && holder !== owner) throw new Conflict(`address ${requested} is already in use`);
        this.assign(s, requested, owner);
        return requested;
      }
      const poolSize = size(pool);
      for (let i = 0; i < poolSize; i++) {
        const n = pool.base + ((s.cursor + i) % poolSize);
        if (!usable(n)) continue;
        const ip = intToIp(n);
        if (s.allocated.has(ip)) continue;
        this.assign(s, ip, owner);
        s.cursor = (n - pool.base + 1) % poolSize;
        return ip;
      }
      throw new Unavailable(`no available addresses in ${this.ipRange ?? this.subnet}`);
    });
  }

  /** releases every address of `owner` */
  release(owner: string): Promise<void> {
    return this.locked((s) => this.drop(s, owner), true);
  }

  /** drops allocations whose owner is not in `alive` (agent start after a crash) */
  reconcile(alive: Set<string>): Promise<void> {
    return this.locked((s) => {
      for (const owner of [...s.byOwner.keys()]) if (!alive.has(owner)) this.drop(s, owner);
    }, true);
  }

  allocations(): Promise<Record<string, string>> {
    return this.load().then((s) => Object.fromEntries(s.allocated));
  }
}
