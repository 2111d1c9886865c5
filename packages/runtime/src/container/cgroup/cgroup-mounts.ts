import { readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The host's cgroup mounts, for the shim's /sys/fs/cgroup: the agent reads
 * /proc/self/mountinfo once (the shim shares its mount namespace) and tells the shim, per
 * hierarchy the container has a cgroup in, what to mount. The kernel renders every mount
 * of the namespace on each read of mountinfo, under the global mount lock: the shim doing
 * it on its start path cost 0.25–0.9 ms a start.
 */

interface HostCgroupMount {
  mountPoint: string;
  v2: boolean;
  /** v1: the controllers (and name=) to mount with; v2: '' */
  controllers: string;
}

/** v1 superblock options that are flags, not the controllers a mount must name */
const V1_FLAGS = new Set(['rw', 'ro', 'none', 'all', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'xattr', 'favordynmods']);

/** mountinfo escapes space, tab, newline and backslash as octal */
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
export function parseCgroupMounts(mountinfo: string): HostCgroupMount[] {
  const out: HostCgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = line.slice(0, sep).split(' ')[4];
    const [fstype, , superopts = ''] = line.slice(sep + 3).split(' ');
    if (!mountPoint || (fstype !== 'cgroup' && fstype !== 'cgroup2')) continue;
    const v2 = fstype === 'cgroup2';
    const controllers = v2
      ? ''
      : superopts
          .split(',')
          .filter((o) => o && !V1_FLAGS.has(o) && !o.startsWith('release_agent='))
          .join(',');
    out.push({ mountPoint: unescapeOctal(mountPoint), v2, controllers });
  }
  return out;
}

let cached: HostCgroupMount[] | undefined;
const hostMounts = (fresh: boolean) => {
  if (fresh || !cached) cached = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  return cached;
};

/** the mount that holds `dir`: the longest mount point that is a prefix of it */
function mountOf(dir: string, mounts: HostCgroupMount[]): HostCgroupMount | undefined {
  let best: HostCgroupMount | undefined;
  for (const m of mounts) {
    const l = m.mountPoint.length;
    if (best && l <= best.mountPoint.length) continue;
    if (dir.startsWith(m.mountPoint) && (dir.length === l || dir[l] === '/')) best = m;
  }
  return best;
}

/**
 * The shim's `cgroupMount` values, one per distinct hierarchy of `dirs` (cpu and cpuacct
 * may be one): mount point, `cgroup`/`cgroup2`, controllers and the container's own
 * directory in it, tab-separated. A dir reached through a link (cpu -> cpu,cpuacct) is
 * resolved, and a dir on no known mount reads mountinfo again (a hierarchy mounted since).
 */
export function cgroupMountLines(dirs: string[]): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    let real = dir;
    let m = mountOf(dir, hostMounts(false));
    if (!m) {
      real = realpathSync(dir);
      m = mountOf(real, hostMounts(false)) ?? mountOf(real, hostMounts(true));
    }
    if (!m || seen.has(basename(m.mountPoint))) continue;
    seen.add(basename(m.mountPoint));
    lines.push([m.mountPoint, m.v2 ? 'cgroup2' : 'cgroup', m.controllers, real].join('\t'));
  }
  return lines;
}
