import { existsSync, readdirSync, rmdirSync } from 'node:fs';
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

/** children first: a cgroup with children cannot be removed; an exiting task can take a moment to leave */
export async function removeCgroupParent(parent: string): Promise<boolean> {
  const dirs = parentDirs(parent);
  const until = Date.now() + 3000;
  for (;;) {
    const left = dirs.filter((d) => !removeTree(d));
    if (!left.length) return dirs.length > 0;
    if (Date.now() > until) throw new Conflict(`cannot remove cgroup ${left[0]}: processes are still in it`);
    await sleep(50);
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

