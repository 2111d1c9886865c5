import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from '@skiff/test-fixtures';
import { ContainerCgroup } from '../src/container/cgroup/cgroups.js';
import type { RuntimeEvent } from '../src/types.js';
import { useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function context(lines: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-build-int-'));
  dirs.push(dir);
  await writeFile(join(dir, 'Dockerfile'), lines.join('\n'));
  return dir;
}

function containerIds(): string[] {
  return readdirSync(join(env.t.root, 'containers'));
}

/** nothing of container `id` on the host: no cgroup, no mount under the runtime's root */
function assertNoTrace(id: string): void {
  for (const dir of ContainerCgroup.for(env.t.cgroupParent, id).joinDirs) expect(existsSync(dir), dir).toBe(false);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
}

describe('build containers are internal', () => {
  it('hides a running RUN step from every user path; a cancel after 3 steps leaves no image or container', async () => {
    const ctx = await context([`FROM ${env.image}`, 'LABEL step=one', 'RUN echo two > /two', 'ENV STEP=three', 'RUN echo started; sleep 60']);
    const imagesBefore = (await env.t.rt.images.list()).map((i) => i.id);
    const events: RuntimeEvent[] = [];
    const off = env.t.rt.onEvent((e) => events.push(e));
    const ac = new AbortController();
    let out = '';
    const building = env.t.rt.build({ context: ctx, signal: ac.signal, onEvent: (e) => void (e.type === 'output' && (out += e.data)) });
    building.catch(() => {});
    await waitFor(async () => out.includes('started'), 30_000, 'the long RUN step to start');

    const [id, ...more] = containerIds();
    expect(more).toEqual([]);
    const { name } = JSON.parse(readFileSync(join(env.t.root, 'containers', id!, 'config.json'), 'utf8')) as { name: string };
    expect(await env.t.rt.containers.list({ all: true })).toEqual([]);
    for (const ref of [id!, id!.slice(0, 12), name]) {
      await expect(env.t.rt.containers.inspect(ref)).rejects.toThrow(/no such container/);
      await expect(env.t.rt.containers.remove(ref, { force: true })).rejects.toThrow(/no such container/);
      await expect(env.t.rt.containers.kill(ref)).rejects.toThrow(/no such container/);
    }
    expect((await env.t.rt.containers.prune()).deleted).toEqual([]);
    expect(env.t.rt.containers.counts().total).toBe(0);
    expect((await env.t.rt.containers.diskUsage()).map((c) => c.id)).not.toContain(id);
    // it is on the default bridge, which does not show it as connected
    expect(env.t.rt.networks.networkingOf(id!)).toBeDefined();
    expect(env.t.rt.networks.endpointsOf(env.t.rt.networks.get('bridge').id).map((e) => e.containerId)).not.toContain(id);
    // its name is nobody's: a user may take it
    const mine = await env.t.rt.containers.create({ image: env.image, name, cmd: ['true'] });
    await env.t.rt.containers.remove(mine.id);
    expect(out).not.toContain('Killed');

    ac.abort();
    await expect(building).rejects.toThrow();
    off();
    expect(events.filter((e) => e.id === id || e.attributes.container === id)).toEqual([]);
    // the LABEL, RUN and ENV images it made are gone with it
    expect((await env.t.rt.images.list()).map((i) => i.id)).toEqual(imagesBefore);
    expect(containerIds()).toEqual([]);
    assertNoTrace(id!);
  });

  it('an agent killed mid-RUN leaves no container, process, cgroup or mount once it starts again', async () => {
    const ctx = await context([`FROM ${env.image}`, 'RUN echo started; sleep 300']);
    let id = '';
    let initPid = 0;
    const rt = await env.t.restartAround(async (options) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'programs/build-child.ts'), JSON.stringify(options), ctx], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => child.once('exit', r));
      // the step's own output, not the "Step 2/2 : RUN echo started…" line
      await waitFor(async () => out.includes('"data":"started\\n"'), 60_000, 'the child agent to run the step');
      child.kill('SIGKILL');
      await exited;
      expect(containerIds()).toHaveLength(1);
      [id] = containerIds() as [string];
      initPid = Number(readFileSync(join(env.t.root, 'containers', id, 'init.pid'), 'utf8'));
      expect(processAlive(initPid), 'the step outlives its agent').toBe(true);
    });
    expect(await rt.containers.list({ all: true })).toEqual([]);
    await expect(rt.containers.inspect(id)).rejects.toThrow(/no such container/);
    expect(containerIds()).toEqual([]);
    await waitFor(async () => !processAlive(initPid), 5000, 'the orphaned step to be gone');
    assertNoTrace(id);
  });
});
