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

/** an agent with a container sleeping on it, and the pids a crash would leave */
async function agentWithSleeper(): Promise<{ agent: AgentHarness; id: string; shim: number; init: number }> {
  const reg = await fixtureRegistry();
  const agent = await AgentHarness.create([reg.host]);
  const run = agent.cli(['run', '-d', `${reg.host}/skiff-test/busybox:latest`, 'sleep', '1d']);
  if (run.code !== 0) {
    await agent.dispose();
    throw new Error(`run: ${run.stderr}`);
  }
  const id = run.stdout.trim();
  const state = join(agent.root, 'containers', id);
  return { agent, id, shim: readPid(join(state, 'shim.pid')), init: readPid(join(state, 'init.pid')) };
}

function expectSwept(agent: AgentHarness, id: string, pids: number[]): void {
  expect(netnsNames()).not.toContain(`skiff-${id.slice(0, 12)}`);
  expect(pids.map(processAlive)).toEqual(pids.map(() => false));
  expect(cgroupDirs(agent.cgroupParent)).toEqual([]);
  expect(mountsUnder(agent.dir)).toEqual([]);
  expect(existsSync(agent.dir)).toBe(false);
}

describe('AgentHarness.dispose', () => {
  it('after a crashed (SIGKILLed) agent still removes its shims, netns, cgroups and mounts', async () => {
    const { agent, id, shim, init } = await agentWithSleeper();
    try {
      // what a crash leaves, present before the kill so the checks below mean something (the
      // rootfs is mounted in the container's own namespace: nothing under the root to see here)
      expect([processAlive(shim), processAlive(init)]).toEqual([true, true]);
      expect(netnsNames()).toContain(`skiff-${id.slice(0, 12)}`);
      expect(cgroupDirs(agent.cgroupParent).some((d) => existsSync(join(d, id)))).toBe(true);
      await agent.kill();
    } finally {
      await agent.dispose();
    }
    expectSwept(agent, id, [shim, init]);
  }, 120_000);

  it('after a crash that also wiped the root still finds the containers through the cgroup parent', async () => {
    const { agent, id, shim, init } = await agentWithSleeper();
    try {
      await agent.kill();
      // what host-hygiene's wiped-root test does before its checks: a failure there must not leave the container running
      await rm(agent.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      expect([processAlive(shim), processAlive(init)]).toEqual([true, true]);
    } finally {
      await agent.dispose();
    }
    expectSwept(agent, id, [shim, init]);
  }, 120_000);
});
