import { existsSync, readdirSync, readFileSync, rmSync, statSync, type Stats } from 'node:fs';
import { Conflict } from '../../errors.js';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the shim's lock file in the container dir; the shim flocks it for its whole life */
export const SHIM_LOCK = 'shim.lock';
/** the shim's report when another shim holds the lock (native/shim/shim.h SHIM_BUSY_MESSAGE) */
export const SHIM_BUSY_MESSAGE = 'the container is already running: another shim holds its lock';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // gone, or a zombie (its cmdline reads empty)
  }
}

/**
 * True when `pid` is the live shim of the container in `containerDir`. The command line
 * names the directory, so a pid reused by any other process, another container's shim
 * included, does not count; a zombie reads an empty command line and does not either.
 * A container process can forge its command line but lives in a deeper pid namespace.
 */
export function isShimOf(pid: number, containerDir: string): boolean {
  if (!pid) return false;
  const cl = cmdline(pid);
  return cl.includes('skiff-shim') && cl.includes(`\0start\0${containerDir}\0`) && pidNsDepth(pid) === ownPidNsDepth();
}

let ownDepth = 0;
function ownPidNsDepth(): number {
  ownDepth ||= pidNsDepth('self');
  return ownDepth;
}

/** how many pid namespaces deep `pid` is (NSpid's entries) */
function pidNsDepth(pid: number | 'self'): number {
  try {
    const nspid = /^NSpid:(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return nspid ? nspid[1]!.trim().split(/\s+/).length : 1;
  } catch {
    return 0;
  }
}

/**
 * Every live `skiff-shim start` process under `containersDir`, by container id: what a
 * restarted agent checks its records against (a start it never recorded, a shim it lost).
 * A container's init carries the same command line until it execs; it lives one pid
 * namespace deeper than its shim, which is how it is told apart.
 */
export function findShims(containersDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const prefix = `\0start\0${containersDir}/`;
  const depth = ownPidNsDepth();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cl = cmdline(Number(e));
    const at = cl.indexOf(prefix);
    if (at < 0 || !cl.includes('skiff-shim') || pidNsDepth(Number(e)) !== depth) continue;
    const id = cl.slice(at + prefix.length).split(/[/\0]/)[0]!;
    if (id) out.set(id, Number(e));
  }
  return out;
}

/** the pid the shim wrote in `file` (shim.pid, init.pid), 0 when absent */
export function readPidFile(containerDir: string, file: string): number {
  try {
    return Number(readFileSync(join(containerDir, file), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** the pid holding a flock on the file `st` describes (from /proc/locks), or 0 */
function flockHolder(st: Stats): number {
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  let locks = '';
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return 0; // no procfs view of locks: the shim's own flock still refuses a second instance
  }
  for (const m of locks.matchAll(/^\d+: FLOCK\s+\S+\s+WRITE\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm)) {
    if (Number(m[4]) === st.ino && parseInt(m[2]!, 16) === major && parseInt(m[3]!, 16) === minor) return Number(m[1]);
  }
  return 0;
}

/**
 * A live shim that already owns the container dir (its lock file is there and its pid
 * file names a live shim of this dir), or 0. A lock file nobody holds is what a killed
 * shim leaves; it is removed so the next check is one stat again. A lock held by a shim
 * that has not written its pid file yet is a start in progress: Conflict.
 */
export function liveOwner(containerDir: string): number {
  const lock = join(containerDir, SHIM_LOCK);
  let st: Stats;
  try {
    st = statSync(lock);
  } catch {
    return 0; // the usual case: no shim runs
  }
  const pid = readPidFile(containerDir, 'shim.pid');
  if (pid && isShimOf(pid, containerDir) && !existsSync(join(containerDir, 'exit.json'))) return pid;
  const holder = flockHolder(st);
  if (holder) throw new Conflict(`the container is still starting: its shim (pid ${holder}) holds ${SHIM_LOCK}`);
  rmSync(lock, { force: true });
  return 0;
}

/**
 * Waits until the shim has recorded the exit (exit.json) or is gone, without the
 * container's lock, which the caller may hold: true when it did within `ms`.
 */
export async function waitShimDone(containerDir: string, shimPid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let delay = 2; ; delay = Math.min(delay * 2, 25)) {
    if (existsSync(join(containerDir, 'exit.json')) || !isShimOf(shimPid, containerDir)) return true;
    if (Date.now() > until) return false;
    await sleep(delay);
  }
}
