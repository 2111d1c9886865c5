import { existsSync, readdirSync, readFileSync, rmdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { Conflict } from './errors.js';

const CGROUP_FS = process.env.SKIFF_CGROUP_ROOT ?? '/sys/fs/cgroup';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Container cgroups under the parent whose container this root does not know: a wiped
 * root's containers, reported at start (`--cleanup` removes the whole parent).
 */
export function unknownCgroups(parent: string, knownIds: Set<string>): string[] {
  const out: string[] = [];
  for (const dir of parentDirs(parent)) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name) && !knownIds.has(e.name)) out.push(join(dir, e.name));
    }
  }
  return out;
}

/** the parent's directory in every mounted hierarchy (v1 controllers, or the v2 root itself) */
function parentDirs(parent: string): string[] {
  const hierarchies = [CGROUP_FS, ...readdirSync(CGROUP_FS).map((h) => join(CGROUP_FS, h))];
  return [...new Set(hierarchies.map((h) => join(h, parent)))].filter((d) => existsSync(d));
}

/**
 * Children first: a cgroup with children cannot be removed; an exiting task can take a
 * moment to leave. With `kill`, what still runs there (containers of a wiped root, which
 * no store knows any more) is SIGKILLed: every process under the parent is this agent's.
 */
export async function removeCgroupParent(parent: string, opts: { kill?: boolean } = {}): Promise<boolean> {
  const dirs = parentDirs(parent);
  const until = Date.now() + 5000;
  for (;;) {
    if (opts.kill) for (const d of dirs) killTree(d);
    const left = dirs.filter((d) => !removeTree(d));
    if (!left.length) return dirs.length > 0;
    if (Date.now() > until) throw new Conflict(`cannot remove cgroup ${left[0]}: processes are still in it${opts.kill ? '' : ' (--force kills them)'}`);
    await sleep(50);
  }
}

function killTree(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) if (e.isDirectory()) killTree(join(dir, e.name));
  let procs = '';
  try {
    procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const pid of procs.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

function removeTree(dir: string): boolean {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
