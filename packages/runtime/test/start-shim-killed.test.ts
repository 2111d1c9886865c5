import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainerCgroup } from '../src/container/cgroup/cgroups.js';
import { type TestRuntime, useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
beforeAll(() => {
  ({ t, image } = env);
});

const procsIn = (dir: string): string[] => {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return []; // the cgroup is gone: nothing in it
  }
};

/**
 * SIGKILLs a container's shim the moment the container's first process shows up in its
 * cgroup (before the shim can report `ok` to the agent, most of the time): a process of its
 * own polling the cgroup, so the runtime's event loop does not decide the timing. Resolves
 * once the watcher polls, with a promise of what it did.
 */
function killShimOnFirstProcess(dir: string): Promise<{ done: Promise<string> }> {
  const watch = `
    const fs = require('node:fs');
    fs.writeSync(1, 'ready\\n'); // a pipe's stdout.write would wait for the loop below
    const end = Date.now() + 10000; // a start that failed before its clone leaves nothing to kill
    while (Date.now() < end) {
      let procs = '';
      try { procs = fs.readFileSync(process.argv[1] + '/cgroup.procs', 'utf8'); } catch {}
      const pid = procs.split('\\n')[0];
      if (!pid) continue;
      const ppid = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1];
      process.kill(Number(ppid), 'SIGKILL');
      fs.writeSync(1, 'killed ' + ppid + '\\n');
      break;
    }`;
  const w = spawn(process.execPath, ['-e', watch, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise<string>((resolve) => w.once('exit', () => resolve(out)));
  return new Promise((resolve) => {
    w.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready')) resolve({ done }); // (a bare promise would be adopted)
    });
  });
}

describe('start when the shim dies before it reports', () => {
  it('leaves no process of the container behind', { timeout: 240_000 }, async () => {
    let failedStarts = 0;
    for (let i = 0; i < 8; i++) {
      const { id } = await t.rt.containers.create({ image, cmd: ['sleep', '300'], network: 'none' });
      const cg = ContainerCgroup.for(t.cgroupParent, id);
      const dir = cg.joinDirs[0]!;
      // start makes the cgroup: the watcher spins until it exists and has a process
      const watcher = await killShimOnFirstProcess(dir);
      const started = await t.rt.containers.start(id).then(
        () => true,
        () => false,
      );
      await watcher.done;
      if (!started) failedStarts++;
      // whichever way the start went, the container's processes are gone once it settles
      await waitFor(async () => cg.joinDirs.every((d) => procsIn(d).length === 0), 5_000, `no process left in ${id}'s cgroup`);
      await waitFor(async () => !((await t.rt.containers.inspect(id)).State as { Running: boolean }).Running, 10_000, `${id} not running`);
      await t.rt.containers.remove(id, { force: true });
    }
    // the race is the point: most rounds must have hit the start path's own failure handling
    expect(failedStarts).toBeGreaterThan(2);
  });
});
