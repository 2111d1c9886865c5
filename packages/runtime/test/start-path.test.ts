/**
 * The container start's hot path: what it must not do (fork the agent, run `ip`), what it
 * reports (per-phase timings), and what its lighter bookkeeping must still guarantee.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartPhases } from '../src/container/shim/start-timeline.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { TestRuntime } from './helpers.js';

let t: TestRuntime;
let image: string;
const phases: StartPhases[] = [];
// every `ip` the runtime runs goes through this wrapper, which logs its arguments
const shimDir = mkdtempSync(join(tmpdir(), 'skiff-ip-log-'));
const ipLog = join(shimDir, 'ip.log');
const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
const savedPath = process.env.PATH;

beforeAll(async () => {
  writeFileSync(join(shimDir, 'ip'), `#!/bin/sh\necho "$*" >> ${ipLog}\nexec ${realIp} "$@"\n`);
  chmodSync(join(shimDir, 'ip'), 0o755);
  process.env.PATH = `${shimDir}:${savedPath}`;
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host], { onStartPhases: (_id, p) => phases.push(p) });
  await t.rt.images.pull(image);
}, 120_000);

afterAll(async () => {
  process.env.PATH = savedPath;
  await t?.dispose();
  await stopFixtureRegistry();
  rmSync(shimDir, { recursive: true, force: true });
}, 60_000);

/** this process's children that have exited and were never reaped */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return '';
      }
    })();
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' && Number(fields[1]) === process.pid) out.push(Number(pid));
  }
  return out;
}

describe('the start path', () => {
  it('runs no `ip` process per container once the bridge exists', async () => {
    const first = await t.rt.containers.run({ image, cmd: ['true'] });
    await t.rt.containers.wait(first.id);
    await t.rt.containers.remove(first.id);
    rmSync(ipLog, { force: true });
    for (let i = 0; i < 3; i++) {
      const { id } = await t.rt.containers.run({ image, cmd: ['sh', '-c', 'ip -4 -o addr show eth0 | grep -c inet; ip route | grep -c default'] });
      await t.rt.containers.wait(id);
      // the container was still fully configured: an address and a default route
      const log = readFileSync(join(t.root, 'containers', id, 'container.log'), 'utf8');
      expect(log.match(/"log":"1\\n"/g)?.length).toBe(2);
      await t.rt.containers.remove(id);
    }
    expect(existsSync(ipLog) ? readFileSync(ipLog, 'utf8') : '').toBe('');
  });

  it('leaves no zombie shims behind: the addon reaps the shims it spawned', async () => {
    for (let i = 0; i < 5; i++) {
      const { id } = await t.rt.containers.run({ image, cmd: ['true'], network: 'none' });
      await t.rt.containers.wait(id);
      await t.rt.containers.remove(id);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(zombieChildren()).toEqual([]);
  });

  it('reports where each start spends its time, the shim phases included', async () => {
    phases.length = 0;
    const { id } = await t.rt.containers.run({ image, cmd: ['true'] });
    await t.rt.containers.wait(id);
    await t.rt.containers.remove(id);
    expect(phases).toHaveLength(1);
    const p = phases[0]!;
    for (const k of [
      'image layers and cgroups',
      'network (netns, veth, address, ports)',
      'clone (pid/mount/uts/ipc namespaces)',
      'rootfs (overlay, /proc /dev /sys, pivot_root)',
      'exec',
      'state.json',
    ]) {
      expect(p[k], k).toBeGreaterThan(0);
    }
    expect(Object.values(p).every((ms) => ms >= 0 && ms < 10_000)).toBe(true);
  });

  it('run --rm: the container is gone once wait() returns', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['true'], autoRemove: true });
    await t.rt.containers.wait(id);
    expect((await t.rt.containers.list({ all: true })).map((c) => c.id)).not.toContain(id);
    expect(existsSync(join(t.root, 'containers', id))).toBe(false);
  });

  it('wait conditions: removed and next-exit, registered before a start that ends at once', async () => {
    for (let i = 0; i < 5; i++) {
      const { id } = await t.rt.containers.create({ image, cmd: ['sh', '-c', 'exit 7'], autoRemove: true });
      const removed = t.rt.containers.wait(id, { condition: 'removed' });
      const nextExit = t.rt.containers.wait(id, { condition: 'next-exit' });
      await t.rt.containers.start(id);
      expect(await nextExit).toEqual({ statusCode: 7 });
      expect(await removed).toEqual({ statusCode: 7 });
      expect(existsSync(join(t.root, 'containers', id))).toBe(false);
    }
    // not-running returns at once for a created container; removed waits for an rm
    const { id } = await t.rt.containers.create({ image, cmd: ['true'] });
    expect(await t.rt.containers.wait(id)).toEqual({ statusCode: 0 });
    let gone = false;
    const removed = t.rt.containers.wait(id, { condition: 'removed' }).then((r) => {
      gone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(gone).toBe(false);
    await t.rt.containers.remove(id);
    expect(await removed).toEqual({ statusCode: 0 });
  });

  it('keeps a container whose state.json was emptied by a power loss (it is written without fsync)', async () => {
    const { id } = await t.rt.containers.create({ image, cmd: ['true'], name: 'survivor' });
    writeFileSync(join(t.root, 'containers', id, 'state.json'), '');
    const rt = await t.reopen();
    const c = (await rt.containers.list({ all: true })).find((x) => x.id === id);
    expect(c?.names).toEqual(['/survivor']);
    await rt.containers.remove(id);
  });
});
