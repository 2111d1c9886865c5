import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnReported } from '../src/native/addon.js';
import { SHIM_PATH } from '../src/native/paths.js';
import { pidNsDepth, processAlive, runtimeViolations } from '@skiff/test-fixtures';
import { type TestRuntime, useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
const created = new Set<string>();
beforeAll(() => {
  ({ t, image } = env);
});

const pidOf = (id: string, file: string) => Number(readFileSync(join(t.root, 'containers', id, file), 'utf8'));
const cmdline = (pid: string) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
/** live shims started on this container's dir */
const shimsOf = (id: string) =>
  readdirSync('/proc').filter(
    (e) =>
      /^\d+$/.test(e) &&
      cmdline(e).includes('skiff-shim') &&
      cmdline(e).includes(`${t.root}/containers/${id}`) &&
      processAlive(Number(e)) &&
      pidNsDepth(Number(e)) === pidNsDepth('self'),
  ).length;

async function runDetached(extra: Record<string, unknown> = {}): Promise<string> {
  const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '1d'], ports: [{ containerPort: 80, protocol: 'tcp' }], ...extra });
  created.add(id);
  return id;
}

/** rewrites the container's state.json as the agent had left it at some instant */
function setRecordedState(id: string, patch: Record<string, unknown>): void {
  const file = join(t.root, 'containers', id, 'state.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
}

describe('shim death is contained', () => {
  it('kills the container a SIGKILLed shim left running, and frees its address only then', async () => {
    const id = await runDetached();
    const initPid = pidOf(id, 'init.pid');
    process.kill(pidOf(id, 'shim.pid'), 'SIGKILL');
    const state = await waitFor(
      async () => {
        const s = (await t.rt.containers.inspect(id)).State as { Status: string; ExitCode: number };
        return s.Status === 'exited' && s;
      },
      10_000,
      'the exit',
    );
    expect(state.ExitCode).toBe(255);
    // the container's process was re-parented to the host's init: it must be gone too
    expect(processAlive(initPid)).toBe(false);
    expect(await runtimeViolations(t, created)).toEqual([]);
    await t.rt.containers.remove(id, { force: true });
    expect(await runtimeViolations(t, created)).toEqual([]);
  });
});

describe('shim death is contained (rm -f first)', () => {
  it('rm -f right after a shim died, before the agent noticed, leaves nothing', async () => {
    const id = await runDetached();
    const initPid = pidOf(id, 'init.pid');
    process.kill(pidOf(id, 'shim.pid'), 'SIGKILL');
    await t.rt.containers.remove(id, { force: true });
    expect(processAlive(initPid)).toBe(false);
    expect(await runtimeViolations(t, created, 0)).toEqual([]);
  });
});

describe('crash consistency', () => {
  it('adopts a run the agent never recorded, and never starts a second instance', async () => {
    const id = await runDetached();
    const shim = pidOf(id, 'shim.pid');
    await t.rt.close();
    // the agent died after the shim reported, before state.json said "running"
    setRecordedState(id, { status: 'created', pid: 0, shimPid: 0 });
    const rt = await t.reopen();
    const s = (await rt.containers.inspect(id)).State as { Status: string; Pid: number };
    expect(s.Status).toBe('running');
    expect(s.Pid).toBe(pidOf(id, 'init.pid'));
    await rt.containers.start(id);
    expect(shimsOf(id)).toBe(1);
    expect(pidOf(id, 'shim.pid')).toBe(shim);
    expect(await runtimeViolations(t, created)).toEqual([]);
    await rt.containers.remove(id, { force: true });
    expect(processAlive(shim)).toBe(false);
    expect(await runtimeViolations(t, created)).toEqual([]);
  });

  it('the shim refuses a second instance on a container dir it owns', async () => {
    const id = await runDetached();
    const dir = join(t.root, 'containers', id);
    const second = await spawnReported(SHIM_PATH, ['start', dir]);
    expect(second.report).toMatch(/^error 125 the container is already running/);
    expect(shimsOf(id)).toBe(1);
    await t.rt.containers.remove(id, { force: true });
    expect(await runtimeViolations(t, created)).toEqual([]);
  });

  it('refuses to start while another process holds the container lock, and starts once it is free', async () => {
    const { id } = await t.rt.containers.create({ image, cmd: ['sleep', '1d'] });
    created.add(id);
    const lock = join(t.root, 'containers', id, 'shim.lock');
    // a shim mid-start: the lock is held, its pid files are not written yet
    const holder = spawn('flock', ['-n', lock, 'sleep', '30'], { stdio: 'ignore', detached: true });
    await waitFor(async () => readFileSync('/proc/locks', 'utf8').includes(` ${holder.pid} `), 5000, 'the lock');
    await expect(t.rt.containers.start(id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/still starting/) });
    const exited = new Promise((r) => holder.once('exit', r));
    process.kill(-holder.pid!, 'SIGKILL'); // flock and its sleep, which shares the locked file
    await exited;
    await waitFor(async () => !readFileSync('/proc/locks', 'utf8').includes(` ${holder.pid} `), 5000, 'the lock released');
    await t.rt.containers.start(id);
    expect(shimsOf(id)).toBe(1);
    await t.rt.containers.remove(id, { force: true });
    expect(await runtimeViolations(t, created)).toEqual([]);
  });

  it('rm -f of a paused container leaves nothing', async () => {
    const id = await runDetached();
    await t.rt.containers.pause(id);
    await t.rt.containers.remove(id, { force: true });
    expect(await runtimeViolations(t, created)).toEqual([]);
  });

  it('is not fooled by a container process that forges a shim command line', async () => {
    const { id } = await t.rt.containers.create({ image, cmd: ['sh', '-c', 'sleep 1d; :'] });
    created.add(id);
    // the container's init is `sh -c '…' skiff-shim start <its own container dir>`
    const dir = join(t.root, 'containers', id);
    const c = t.containerManager.get(id);
    c.record.args = [...c.record.args, 'skiff-shim', 'start', dir];
    await t.rt.containers.start(id);
    const init = pidOf(id, 'init.pid');
    expect(readFileSync(`/proc/${init}/cmdline`, 'utf8')).toContain(`skiff-shim\0start\0${dir}\0`);
    await t.rt.close();
    process.kill(pidOf(id, 'shim.pid'), 'SIGKILL');
    const rt = await t.reopen();
    expect(((await rt.containers.inspect(id)).State as { Status: string }).Status).toBe('exited');
    expect(processAlive(init)).toBe(false);
    expect(await runtimeViolations(t, created)).toEqual([]);
    await rt.containers.remove(id);
  });

  it('finishes a removal the agent died in, killing what still ran', async () => {
    const id = await runDetached();
    const init = pidOf(id, 'init.pid');
    await t.rt.close();
    setRecordedState(id, { status: 'removing' });
    const rt = await t.reopen();
    expect((await rt.containers.list({ all: true })).map((c) => c.id)).not.toContain(id);
    expect(processAlive(init)).toBe(false);
    expect(existsSync(join(t.root, 'containers', id))).toBe(false);
    expect(await runtimeViolations(t, created)).toEqual([]);
  });

  it('records the exit of a container whose shim died while the agent was away, leaving nothing', async () => {
    const id = await runDetached();
    const init = pidOf(id, 'init.pid');
    await t.rt.close();
    process.kill(pidOf(id, 'shim.pid'), 'SIGKILL');
    const rt = await t.reopen();
    expect(((await rt.containers.inspect(id)).State as { Status: string }).Status).toBe('exited');
    expect(processAlive(init)).toBe(false);
    expect(await runtimeViolations(t, created)).toEqual([]);
    await rt.containers.start(id);
    expect(shimsOf(id)).toBe(1);
    await rt.containers.remove(id, { force: true });
    expect(await runtimeViolations(t, created)).toEqual([]);
  });
});
