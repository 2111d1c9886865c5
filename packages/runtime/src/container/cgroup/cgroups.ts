import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyV1DeviceRules, applyV2DeviceRules } from './device-cgroup.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'cgroup' });

/**
 * Per-container cgroups. The agent creates the directories and writes the limits; the
 * shim moves the container's init into them before exec and removes them after exit.
 * cgroup v2 is used when the unified hierarchy has controllers (a v2-only host);
 * otherwise the v1 hierarchies (this project's CI host) are used.
 */

const CGROUP_ROOT = process.env.SKIFF_CGROUP_ROOT ?? '/sys/fs/cgroup';
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer', 'blkio', 'cpuset', 'devices'] as const;

export type CgroupVersion = 1 | 2;

export interface CgroupLimits {
  memory?: number;
  memorySwap?: number;
  nanoCpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  /** '' or absent: every CPU / node of the parent */
  cpusetCpus?: string;
  cpusetMems?: string;
}

/** the limits of a create (or updated) spec */
export function cgroupLimitsOf(spec: CgroupLimits): CgroupLimits {
  const { memory, memorySwap, nanoCpus, cpuShares, pidsLimit, cpusetCpus, cpusetMems } = spec;
  return { memory, memorySwap, nanoCpus, cpuShares, pidsLimit, cpusetCpus, cpusetMems };
}

const CFS_PERIOD = 100_000;

/** --cpus as a CFS quota per 100 ms period (at least 1 ms, the kernel's floor) */
const cfsQuota = (nanoCpus: number) => Math.max(1000, Math.round((nanoCpus / 1e9) * CFS_PERIOD));

/** v2 weight: Docker's conversion from shares (2..262144) to weight (1..10000) */
const cpuWeight = (shares: number) => 1 + Math.round(((shares - 2) * 9999) / 262142);

/** v2's memory.swap.max is swap alone; Docker's memory-swap is memory + swap (-1: unlimited, default twice the memory) */
const v2Swap = (memory: number, memorySwap: number | undefined) => (memorySwap === -1 ? 'max' : String(Math.max(0, (memorySwap ?? memory * 2) - memory)));

/** a file the kernel may not offer (swap without swap accounting): left out, as at create */
async function writeIfPresent(file: string, value: string): Promise<void> {
  if (existsSync(file)) await writeFile(file, value);
}

let detected: CgroupVersion | undefined;
export function cgroupVersion(): CgroupVersion {
  detected ??= existsSync(join(CGROUP_ROOT, 'cgroup.controllers')) ? 2 : 1;
  return detected;
}

export class ContainerCgroup {
  constructor(
    readonly version: CgroupVersion,
    /** v1: controller → dir; v2: { unified: dir } */
    readonly dirs: Record<string, string>,
  ) {}

  static for(parent: string, id: string): ContainerCgroup {
    const version = cgroupVersion();
    if (version === 2) return new ContainerCgroup(2, { unified: join(CGROUP_ROOT, parent, id) });
    const dirs: Record<string, string> = {};
    for (const c of V1_CONTROLLERS) {
      if (existsSync(join(CGROUP_ROOT, c))) dirs[c] = join(CGROUP_ROOT, c, parent, id);
    }
    return new ContainerCgroup(1, dirs);
  }

  /** every directory the shim must join, deduplicated (cpu and cpuacct may be co-mounted) */
  get joinDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  get oomFile(): string | undefined {
    if (this.version === 2) return join(this.dirs.unified!, 'memory.events');
    return this.dirs.memory ? join(this.dirs.memory, 'memory.oom_control') : undefined;
  }

  /** cgroupfs is in memory: its few syscalls are done synchronously, on every start */
  async create(limits: CgroupLimits): Promise<void> {
    for (const [ctrl, dir] of Object.entries(this.dirs)) {
      ensureParent(dir);
      mkdirSync(dir, { recursive: true });
      if (ctrl === 'cpuset') inheritCpuset(dir);
    }
    if (this.version === 2) await this.writeV2Limits(limits);
    else await this.writeV1Limits(limits);
    // the device allow-list is set once here; `update` leaves it
    if (this.version === 2) applyV2DeviceRules(this.dirs.unified!);
    else if (this.dirs.devices) applyV1DeviceRules(this.dirs.devices);
  }

  private async writeV1Limits(l: CgroupLimits): Promise<void> {
    const { memory, cpu, pids } = this.dirs;
    if (memory && l.memory) {
      await writeFile(join(memory, 'memory.limit_in_bytes'), String(l.memory));
      // Docker's default: swap limit = 2x memory unless told otherwise; -1 means unlimited.
      const swap = l.memorySwap ?? l.memory * 2;
      // debug: the file is absent on kernels booted without swap accounting (swapaccount=0)
      await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(swap)).catch(logFailure(log, 'debug', 'setting the swap limit', { cgroup: memory }));
    }
    if (cpu && l.nanoCpus) {
      await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD));
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(cfsQuota(l.nanoCpus)));
    }
    if (cpu && l.cpuShares) await writeFile(join(cpu, 'cpu.shares'), String(l.cpuShares));
    if (pids && l.pidsLimit && l.pidsLimit > 0) await writeFile(join(pids, 'pids.max'), String(l.pidsLimit));
    if (l.cpusetCpus || l.cpusetMems) await this.writeV1Cpuset(l);
  }

  /** v1 cpusets cannot be empty: what is not asked for is the parent's (as inheritCpuset did at create) */
  private async writeV1Cpuset(l: CgroupLimits): Promise<void> {
    const dir = this.dirs.cpuset;
    if (!dir) {
      if (l.cpusetCpus || l.cpusetMems) throw new Error('the cpuset cgroup controller is not available on this host');
      return;
    }
    const parent = join(dir, '..');
    // mems first: a task's memory may only move once the node is allowed
    for (const [file, value] of [
      ['cpuset.mems', l.cpusetMems],
      ['cpuset.cpus', l.cpusetCpus],
    ] as const) {
      await writeFile(join(dir, file), value || (await readFile(join(parent, file), 'utf8')).trim());
    }
  }

  /** v2: '' in cpuset.cpus / cpuset.mems is the parent's effective set */
  private async writeV2Cpuset(l: CgroupLimits, always: boolean): Promise<void> {
    const dir = this.dirs.unified!;
    if (!always && !l.cpusetCpus && !l.cpusetMems) return;
    await writeFile(join(dir, '..', 'cgroup.subtree_control'), '+cpuset').catch((e: unknown) => {
      if (l.cpusetCpus || l.cpusetMems) throw new Error(`the cpuset cgroup controller is not available: ${(e as Error).message}`);
    });
    if (!existsSync(join(dir, 'cpuset.cpus'))) return;
    // a newline, not an empty write: the kernel never sees a zero-length write
    await writeFile(join(dir, 'cpuset.mems'), `${l.cpusetMems ?? ''}\n`);
    await writeFile(join(dir, 'cpuset.cpus'), `${l.cpusetCpus ?? ''}\n`);
  }

  private async writeV2Limits(l: CgroupLimits): Promise<void> {
    const dir = this.dirs.unified!;
    const parent = join(dir, '..');
    // debug: the parent usually has them already, and one not delegated to us refuses; the limits below fail loudly then
    await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +cpu +pids +io').catch(
      logFailure(log, 'debug', 'enabling controllers', { cgroup: parent }),
    );
    if (l.memory) {
      await writeFile(join(dir, 'memory.max'), String(l.memory));
      // debug: memory.swap.max is absent without swap accounting
      await writeFile(join(dir, 'memory.swap.max'), v2Swap(l.memory, l.memorySwap)).catch(logFailure(log, 'debug', 'setting the swap limit', { cgroup: dir }));
    }
    if (l.nanoCpus) await writeFile(join(dir, 'cpu.max'), `${cfsQuota(l.nanoCpus)} ${CFS_PERIOD}`);
    if (l.cpuShares) await writeFile(join(dir, 'cpu.weight'), String(cpuWeight(l.cpuShares)));
    if (l.pidsLimit && l.pidsLimit > 0) await writeFile(join(dir, 'pids.max'), String(l.pidsLimit));
    await this.writeV2Cpuset(l, false);
  }

  /**
   * `docker update` of a running container: every limit written again, what is unset as
   * the kernel's "unlimited" (create only writes what is set, on a fresh cgroup).
   */
  async update(l: CgroupLimits): Promise<void> {
    if (this.version === 2) await this.updateV2(l);
    else await this.updateV1(l);
  }

  private async updateV1(l: CgroupLimits): Promise<void> {
    const { memory, cpu, pids } = this.dirs;
    if (memory) {
      const limit = join(memory, 'memory.limit_in_bytes');
      const swapLimit = join(memory, 'memory.memsw.limit_in_bytes');
      const mem = l.memory || -1;
      const swap = l.memory ? (l.memorySwap ?? l.memory * 2) : -1;
      // the kernel keeps memory <= memory+swap at every write: raising goes swap first,
      // lowering memory first (runc's order)
      const current = Number((await readFile(limit, 'utf8')).trim());
      if (swap === -1 || current < swap) {
        await writeIfPresent(swapLimit, String(swap));
        await writeFile(limit, String(mem));
      } else {
        await writeFile(limit, String(mem));
        await writeIfPresent(swapLimit, String(swap));
      }
    }
    if (cpu) {
      await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD));
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(l.nanoCpus ? cfsQuota(l.nanoCpus) : -1));
      await writeFile(join(cpu, 'cpu.shares'), String(l.cpuShares || 1024));
    }
    if (pids) await writeFile(join(pids, 'pids.max'), l.pidsLimit && l.pidsLimit > 0 ? String(l.pidsLimit) : 'max');
    await this.writeV1Cpuset(l);
  }

  private async updateV2(l: CgroupLimits): Promise<void> {
    const dir = this.dirs.unified!;
    // memory.max and memory.swap.max are independent in v2: no order to keep
    await writeFile(join(dir, 'memory.max'), l.memory ? String(l.memory) : 'max');
    await writeIfPresent(join(dir, 'memory.swap.max'), l.memory ? v2Swap(l.memory, l.memorySwap) : 'max');
    await writeFile(join(dir, 'cpu.max'), `${l.nanoCpus ? cfsQuota(l.nanoCpus) : 'max'} ${CFS_PERIOD}`);
    await writeFile(join(dir, 'cpu.weight'), String(l.cpuShares ? cpuWeight(l.cpuShares) : 100));
    await writeFile(join(dir, 'pids.max'), l.pidsLimit && l.pidsLimit > 0 ? String(l.pidsLimit) : 'max');
    await this.writeV2Cpuset(l, true);
  }

  async freeze(frozen: boolean): Promise<void> {
    if (this.version === 2) {
      await writeFile(join(this.dirs.unified!, 'cgroup.freeze'), frozen ? '1' : '0');
      return;
    }
    const dir = this.dirs.freezer;
    if (!dir) throw new Error('the freezer cgroup controller is not available');
    await writeFile(join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
    // FROZEN is reached asynchronously; wait so `pause` returns with the container stopped.
    for (let i = 0; i < 200; i++) {
      const state = (await readFile(join(dir, 'freezer.state'), 'utf8')).trim();
      if (state === (frozen ? 'FROZEN' : 'THAWED')) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async pids(): Promise<number[]> {
    const dir = this.version === 2 ? this.dirs.unified! : (this.dirs.pids ?? this.dirs.memory ?? Object.values(this.dirs)[0]!);
    const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  async stats(): Promise<{ cpuNs: number; memUsage: number; memLimit: number; pids: number; blkRead: number; blkWrite: number }> {
    const read = (p: string | undefined) => (p ? readFile(p, 'utf8').catch(() => '') : Promise.resolve(''));
    if (this.version === 2) {
      const d = this.dirs.unified!;
      const [cpu, mem, max, pids, io] = await Promise.all([
        read(join(d, 'cpu.stat')),
        read(join(d, 'memory.current')),
        read(join(d, 'memory.max')),
        read(join(d, 'pids.current')),
        read(join(d, 'io.stat')),
      ]);
      const usec = Number(/usage_usec (\d+)/.exec(cpu)?.[1] ?? 0);
      let blkRead = 0,
        blkWrite = 0;
      for (const m of io.matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) {
        blkRead += Number(m[1]);
        blkWrite += Number(m[2]);
      }
      return {
        cpuNs: usec * 1000,
        memUsage: Number(mem) || 0,
        memLimit: max.trim() === 'max' || !max ? 0 : Number(max),
        pids: Number(pids) || 0,
        blkRead,
        blkWrite,
      };
    }
    const { memory, cpuacct, pids, blkio } = this.dirs;
    const [cpu, usage, limit, memStat, pidsCur, io] = await Promise.all([
      read(cpuacct && join(cpuacct, 'cpuacct.usage')),
      read(memory && join(memory, 'memory.usage_in_bytes')),
      read(memory && join(memory, 'memory.limit_in_bytes')),
      read(memory && join(memory, 'memory.stat')),
      read(pids && join(pids, 'pids.current')),
      read(blkio && join(blkio, 'blkio.throttle.io_service_bytes')),
    ]);
    // Docker subtracts the page cache ("total_inactive_file") from the usage it shows.
    const inactive = Number(/total_inactive_file (\d+)/.exec(memStat)?.[1] ?? 0);
    let blkRead = 0,
      blkWrite = 0;
    for (const m of io.matchAll(/^\S+ (Read|Write) (\d+)$/gm)) {
      if (m[1] === 'Read') blkRead += Number(m[2]);
      else blkWrite += Number(m[2]);
    }
    const lim = Number(limit) || 0;
    return {
      cpuNs: Number(cpu) || 0,
      memUsage: Math.max(0, (Number(usage) || 0) - inactive),
      memLimit: lim >= 2 ** 62 ? 0 : lim,
      pids: Number(pidsCur) || 0,
      blkRead,
      blkWrite,
    };
  }

  /** Removes the directories (the shim normally does this; the agent retries for crashed shims). */
  async remove(): Promise<void> {
    let failed: unknown;
    for (const dir of this.joinDirs) {
      for (let i = 0; i < 20; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY') throw e;
          // still busy after ~0.5 s (a child cgroup, a process that moved in): the caller logs it
          if (i === 19) failed ??= e;
          else await new Promise((r) => setTimeout(r, 25));
        }
      }
    }
    if (failed) throw failed;
  }
}

const ensuredParents = new Set<string>();

/** the parent (e.g. /sys/fs/cgroup/cpuset/skiff) once per process; v1 cpuset needs its cpus/mems */
function ensureParent(dir: string): void {
  const parent = join(dir, '..');
  if (ensuredParents.has(parent)) return;
  mkdirSync(parent, { recursive: true });
  if (parent.startsWith(join(CGROUP_ROOT, 'cpuset') + '/')) inheritCpuset(parent);
  ensuredParents.add(parent);
}

/** A new v1 cpuset cgroup starts with empty cpus/mems; copy the parent's so joining works. */
function inheritCpuset(dir: string): void {
  const chain: string[] = [];
  for (let d = dir; d !== join(CGROUP_ROOT, 'cpuset'); d = join(d, '..')) chain.unshift(d);
  for (const d of chain) {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      let cur = '';
      try {
        cur = readFileSync(join(d, f), 'utf8').trim();
      } catch (e) {
        // not there yet on a cgroup v1 cpuset made a moment ago: it is copied from the parent
        log.debug('reading a cpuset', { cgroup: d, file: f, err: e });
      }
      if (cur) continue;
      writeFileSync(join(d, f), readFileSync(join(d, '..', f), 'utf8').trim());
    }
  }
}
