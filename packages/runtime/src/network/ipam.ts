import { readFile } from 'node:fs/promises';
import { Conflict, InvalidArgument, Unavailable } from '../errors.js';
import { writeJsonAtomicUnsynced } from '../store/atomic-file.js';
import { contains, intToIp, ipToInt, parseCidr, size } from './subnet.js';

interface IpamState {
  /** ip → owner (container id) */
  allocated: Record<string, string>;
  /** next address to try: sequential like Docker, so a released address is not reused at once */
  cursor: number;
}

/**
 * One network's address allocations, persisted (atomic rewrite) so they survive agent
 * restarts; calls are serialised per network. The file is read once: this process is its
 * only writer. It is not fsync'ed: after a host crash no container runs and reconcile()
 * frees every address.
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
    this.state ??= await readFile(this.file, 'utf8').then((t) => JSON.parse(t) as IpamState, () => ({ allocated: {}, cursor: 0 }));
    return this.state;
  }

  private locked<T>(fn: (s: IpamState) => T | Promise<T>): Promise<T> {
    const run = this.queue.catch(() => {}).then(async () => {
      const state = await this.load();
      // a failed change must not stay in the cached state
      const before = structuredClone(state);
      try {
        const result = await fn(state);
        writeJsonAtomicUnsynced(this.file, state);
        return result;
      } catch (e) {
        this.state = before;
        throw e;
      }
    });
    this.queue = run;
    return run;
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
        const holder = s.allocated[requested];
        if (holder && holder !== owner) throw new Conflict(`address ${requested} is already in use`);
        s.allocated[requested] = owner;
        return requested;
      }
      const poolSize = size(pool);
      for (let i = 0; i < poolSize; i++) {
        const n = pool.base + ((s.cursor + i) % poolSize);
        if (!usable(n)) continue;
        const ip = intToIp(n);
        if (s.allocated[ip]) continue;
        s.allocated[ip] = owner;
        s.cursor = (n - pool.base + 1) % poolSize;
        return ip;
      }
      throw new Unavailable(`no available addresses in ${this.ipRange ?? this.subnet}`);
    });
  }

  /** releases every address of `owner` */
  release(owner: string): Promise<void> {
    return this.locked((s) => {
      for (const [ip, o] of Object.entries(s.allocated)) if (o === owner) delete s.allocated[ip];
    });
  }

  /** drops allocations whose owner is not in `alive` (agent start after a crash) */
  reconcile(alive: Set<string>): Promise<void> {
    return this.locked((s) => {
      for (const [ip, o] of Object.entries(s.allocated)) if (!alive.has(o)) delete s.allocated[ip];
    });
  }

  allocations(): Promise<Record<string, string>> {
    return this.load().then((s) => s.allocated);
  }
}
