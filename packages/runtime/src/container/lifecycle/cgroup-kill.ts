import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerCgroup } from '../cgroup/cgroups.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'cgroup' });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // no such cgroup: nothing runs in it
  }
}

function killEach(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      // ESRCH: it exited between the read of cgroup.procs and the kill
      log.debug('killing a cgroup process', { pid, err: e });
    }
  }
}

/** the one directory that lists every task (v1 hierarchies all hold the same ones) */
function taskDir(cg: ContainerCgroup): string | undefined {
  return cg.version === 2 ? cg.dirs.unified : (cg.dirs.freezer ?? cg.dirs.pids ?? cg.dirs.memory ?? Object.values(cg.dirs)[0]);
}

/**
 * SIGKILLs every process in the container's cgroup, those a dead shim left re-parented to
 * the host's init included, and waits until the cgroup is empty. cgroup v2 has
 * `cgroup.kill`; elsewhere the cgroup is frozen first so nothing forks between the read of
 * its task list and the kills, then thawed so the kills are delivered. Returns false when
 * processes are still there after `waitMs` (a task stuck in the kernel).
 */
export async function killCgroup(cg: ContainerCgroup, waitMs = 5000): Promise<boolean> {
  const dir = taskDir(cg);
  if (!dir || !procsIn(dir).length) return true; // the usual case: the shim's exit emptied it
  const until = Date.now() + waitMs;
  const freezer = cg.version === 2 ? undefined : cg.dirs.freezer;
  for (;;) {
    const v2Kill = cg.version === 2 ? join(dir, 'cgroup.kill') : undefined;
    if (v2Kill && existsSync(v2Kill)) writeFileSync(v2Kill, '1');
    else {
      if (freezer || cg.version === 2) await cg.freeze(true).catch(() => undefined);
      killEach(procsIn(dir));
      if (freezer || cg.version === 2) await cg.freeze(false).catch(() => undefined);
    }
    for (let i = 0; i < 20; i++) {
      if (!procsIn(dir).length) return true;
      await sleep(5);
    }
    if (Date.now() > until) return false;
  }
}
