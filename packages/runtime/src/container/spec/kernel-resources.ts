// no Node built-ins here: compose's loader and the dashboard parse these flags too (kernel-host.ts reads the host)
import { InvalidArgument } from '../../errors.ts';
import type { Ulimit } from '../../types.js';

/**
 * The kernel-facing create fields Docker has and this runtime applies in the shim:
 * `--ulimit` (setrlimit), `--sysctl` (written through the container's own /proc/sys) and
 * `--cpuset-cpus/--cpuset-mems` (the cpuset cgroup), checked here for every edge.
 */

/** Docker's names (go-units ulimit.go), each an RLIMIT_* the shim maps */
export const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;
const ULIMITS = new Set<string>(ULIMIT_NAMES);

/** `name=soft[:hard]` as `docker run --ulimit` takes it; one value sets both */
export function parseUlimitFlag(v: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v.trim());
  if (!m) throw new InvalidArgument(`invalid ulimit argument: ${v} (want name=soft[:hard])`);
  const soft = Number(m[2]);
  return { name: m[1]!, soft, hard: m[3] === undefined ? soft : Number(m[3]) };
}

export function validateUlimits(list: readonly Ulimit[] | undefined): void {
  const seen = new Set<string>();
  for (const u of list ?? []) {
    if (!ULIMITS.has(u.name)) throw new InvalidArgument(`invalid ulimit type: ${u.name} (one of ${ULIMIT_NAMES.join(', ')})`);
    if (seen.has(u.name)) throw new InvalidArgument(`ulimit ${u.name} given twice`);
    seen.add(u.name);
    for (const v of [u.soft, u.hard]) {
      if (!Number.isSafeInteger(v) || v < -1) throw new InvalidArgument(`invalid ulimit ${u.name} value: ${v} (-1 is unlimited)`);
    }
    const soft = u.soft === -1 ? Infinity : u.soft,
      hard = u.hard === -1 ? Infinity : u.hard;
    if (soft > hard) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
  }
}

/**
 * runc's list of sysctls that live in a namespace the container has its own of: IPC
 * (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), UTS (kernel.domainname) and net
 * (net.*, only when the container is not in the host's network namespace). Anything else
 * (kernel.core_pattern, vm.*, fs.file-max) would change the host.
 */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);
const SYSCTL_COMPONENT = /^[A-Za-z0-9_:@-][A-Za-z0-9_.:@-]*$/;

/** the dotted name of a sysctl given either way (`net.ipv4.ip_forward` or `net/ipv4/conf/eth0.1/forwarding`) */
const dotted = (key: string) => (key.includes('/') ? key.split('/').join('.') : key);

/** the path below /proc/sys the shim writes; a slash form keeps dots inside names (eth0.100) */
export function sysctlPath(key: string): string {
  return key.includes('/') ? key : key.split('.').join('/');
}

export function parseSysctlFlag(v: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgument(`invalid sysctl argument: ${v} (want name=value)`);
  return [v.slice(0, eq).trim(), v.slice(eq + 1)];
}

export function validateSysctls(sysctls: Record<string, string> | undefined, network: string | undefined): void {
  for (const [key, value] of Object.entries(sysctls ?? {})) {
    const parts = sysctlPath(key).split('/');
    if (key.length > 256 || parts.length < 2 || !parts.every((p) => SYSCTL_COMPONENT.test(p) && p !== '.' && p !== '..')) {
      throw new InvalidArgument(`invalid sysctl name ${JSON.stringify(key)}`);
    }
    if (typeof value !== 'string' || value.length > 4096 || /[\0\n\r]/.test(value)) throw new InvalidArgument(`invalid value for sysctl ${key}`);
    const name = dotted(key);
    const namespaced = IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.') || name === 'kernel.domainname' || name.startsWith('net.');
    if (!namespaced) {
      throw new InvalidArgument(
        `sysctl "${key}" is not allowed: it is not in one of the container's own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, kernel.domainname)`,
      );
    }
    if (name.startsWith('net.') && network === 'host') throw new InvalidArgument(`sysctl "${key}" is not allowed in the host's network namespace`);
  }
}

/** `0-2,4` as the CPU (or node) numbers it names */
export function parseCpuList(s: string, what: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) throw new InvalidArgument(`invalid value ${s} for cpuset ${what}`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
