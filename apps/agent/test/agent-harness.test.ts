import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, mountsUnder, processAlive } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';

afterAll(() => stopFixtureRegistry(), 60_000);

const readPid = (file: string) => Number(readFileSync(file, 'utf8').trim());
const netnsNames = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]);
/** the harness's cgroup parent in every mounted hierarchy (v1 controllers, unified, systemd) */
const cgroupDirs = (parent: string) =>
  readdirSync('/sys/fs/cgroup')
    .map((h) => join('/sys/fs/cgroup', h, parent))
    .filter((d) => existsSync(d));

describe('AgentHarness.dispose', () => {
  it('after a crashed (SIGKILLed) agent still removes its shims, netns, cgroups and mounts', async () => {
    const reg = await fixtureRegistry();
    const image = `${reg.host}/skiff-test/busybox:latest`;
    const agent = await AgentHarness.create([reg.host]);
    let id = '';
    let shim = 0;
    let init = 0;
    try {
      const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
      expect(run.code, run.stderr).toBe(0);
      id = run.stdout.trim();
      const state = join(agent.root, 'containers', id);
      shim = readPid(join(state, 'shim.pid'));
      init = readPid(join(state, 'init.pid'));
      // what a crash leaves, present before the kill so the checks below mean something (the
      // rootfs is mounted in the container's own namespace: nothing under the root to see here)
      expect([processAlive(shim), processAlive(init)]).toEqual([true, true]);
      expect(netnsNames()).toContain(`skiff-${id.slice(0, 12)}`);
      expect(cgroupDirs(agent.cgroupParent).some((d) => existsSync(join(d, id)))).toBe(true);

      await agent.kill();
    } finally {
      await agent.dispose();
    }

    expect(netnsNames()).not.toContain(`skiff-${id.slice(0, 12)}`);
    expect([processAlive(shim), processAlive(init)]).toEqual([false, false]);
    expect(cgroupDirs(agent.cgroupParent)).toEqual([]);
    expect(mountsUnder(agent.dir)).toEqual([]);
    expect(existsSync(agent.dir)).toBe(false);
  }, 120_000);

  it('after a crash that also wiped the root still finds the containers through the cgroup parent', async () => {
    const reg = await fixtureRegistry();
    const image = `${reg.host}/skiff-test/busybox:latest`;
    const agent = await AgentHarness.create([reg.host]);
    let id = '';
    let shim = 0;
    let init = 0;
    try {
      const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
      expect(run.code, run.stderr).toBe(0);
      id = run.stdout.trim();
      const state = join(agent.root, 'containers', id);
      shim = readPid(join(state, 'shim.pid'));
      init = readPid(join(state, 'init.pid'));
      await agent.kill();
      // what host-hygiene's wiped-root test does before its checks: a failure there must not leave the container running
      await rm(agent.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      expect([processAlive(shim), processAlive(init)]).toEqual([true, true]);
    } finally {
      await agent.dispose();
    }

    expect(netnsNames()).not.toContain(`skiff-${id.slice(0, 12)}`);
    expect([processAlive(shim), processAlive(init)]).toEqual([false, false]);
    expect(cgroupDirs(agent.cgroupParent)).toEqual([]);
    expect(existsSync(agent.dir)).toBe(false);
  }, 120_000);
});
