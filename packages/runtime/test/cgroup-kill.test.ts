import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerCgroup } from '../src/container/cgroup/cgroups.js';
import { killCgroup } from '../src/container/lifecycle/cgroup-kill.js';

/**
 * A dead shim leaves its container's processes re-parented to the host's init; killCgroup
 * must empty the cgroup whatever they do — here a loop that keeps forking, so a kill of the
 * listed pids alone would miss the children made meanwhile.
 */
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) {
    try {
      rmdirSync(d);
    } catch (e) {
      console.error(`cgroup-kill.test: could not remove ${d}: ${(e as Error).message}`);
    }
  }
});

const procs = (dir: string) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);

/** a detached shell in `dir` that forks a sleeper every few ms, as an orphaned container would */
async function forkingOrphans(dir: string): Promise<void> {
  const p = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && while :; do sleep 30 & sleep 0.005; done`], { detached: true, stdio: 'ignore' });
  p.unref();
  for (let i = 0; i < 200 && procs(dir).length < 10; i++) await new Promise((r) => setTimeout(r, 10));
  expect(procs(dir).length).toBeGreaterThanOrEqual(10);
}

describe('killCgroup', () => {
  it('cgroup v2: empties a cgroup whose processes keep forking (cgroup.kill)', async () => {
    const dir = join('/sys/fs/cgroup/unified', `skiff-test-kill-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    made.push(dir);
    await forkingOrphans(dir);
    expect(await killCgroup(new ContainerCgroup(2, { unified: dir }))).toBe(true);
    expect(procs(dir)).toEqual([]);
  });

  it('cgroup v1: freezes, kills every task and thaws', async () => {
    const name = `skiff-test-kill-${randomBytes(4).toString('hex')}`;
    const freezer = join('/sys/fs/cgroup/freezer', name);
    const pids = join('/sys/fs/cgroup/pids', name);
    for (const d of [freezer, pids]) {
      mkdirSync(d);
      made.push(d);
    }
    const p = spawn('sh', ['-c', `echo $$ > ${freezer}/cgroup.procs && echo $$ > ${pids}/cgroup.procs && while :; do sleep 30 & sleep 0.005; done`], {
      detached: true,
      stdio: 'ignore',
    });
    p.unref();
    for (let i = 0; i < 200 && procs(freezer).length < 10; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procs(freezer).length).toBeGreaterThanOrEqual(10);
    expect(await killCgroup(new ContainerCgroup(1, { freezer, pids }))).toBe(true);
    expect(procs(freezer)).toEqual([]);
    expect(readFileSync(join(freezer, 'freezer.state'), 'utf8').trim()).toBe('THAWED');
  });
});
