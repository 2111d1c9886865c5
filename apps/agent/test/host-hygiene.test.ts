import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, mountsUnder } from '@skiff/test-fixtures';
import { AgentHarness, SKIFF } from './agent-harness.js';

/**
 * Issue 30: an agent reset (root wiped) on the same host starts clean, and an
 * uninstalled one leaves nothing behind. Every check reads the host itself: addresses,
 * routes, links, nft tables, cgroups, mounts.
 */

let image = '';
let registry = '';
beforeAll(async () => {
  registry = (await fixtureRegistry()).host;
  image = `${registry}/skiff-test/busybox:latest`;
}, 120_000);
afterAll(() => stopFixtureRegistry(), 60_000);

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const v4Addresses = (dev: string): string[] => {
  const r = sh('ip', ['-j', '-4', 'addr', 'show', 'dev', dev]);
  if (r.status !== 0) return [];
  return (JSON.parse(r.stdout || '[]') as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) =>
    l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
  );
};
const routesVia = (dev: string): string[] => {
  const r = sh('ip', ['-j', '-4', 'route', 'show', 'dev', dev]);
  return r.status === 0 ? (JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst) : [];
};
const linkExists = (dev: string) => existsSync(`/sys/class/net/${dev}`);
const ifalias = (dev: string) => readFileSync(`/sys/class/net/${dev}/ifalias`, 'utf8').trim();
/** every bridge carrying this agent's mark (any root id) */
const markedBridges = (agent: string): string[] =>
  readdirSync('/sys/class/net').filter(
    (d) =>
      existsSync(`/sys/class/net/${d}/bridge`) &&
      (() => {
        try {
          return ifalias(d).startsWith(`skiff:${agent}:`);
        } catch {
          return false;
        }
      })(),
  );
const nftTableExists = (t: string) => sh('nft', ['list', 'table', 'ip', t]).status === 0;
const cgroupDirs = (parent: string) => ['', ...readdirSync('/sys/fs/cgroup')].map((h) => join('/sys/fs/cgroup', h, parent)).filter((d) => existsSync(d));
const netnsNames = () =>
  sh('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]);

const rootIdOf = (agent: AgentHarness) => (existsSync(join(agent.root, 'host-id')) ? readFileSync(join(agent.root, 'host-id'), 'utf8').trim() : '');

/** a test that fails midway must not leave the bridges of the root it wiped */
function dropMarkedBridges(agent: AgentHarness): void {
  for (const b of markedBridges(agent.bridge)) sh('ip', ['link', 'del', b]);
}

/** `skiff daemon --cleanup …` against the harness's agent (its root, socket, bridge, table, cgroup parent) */
function daemonAction(agent: AgentHarness, flags: string[]) {
  const env = { ...process.env, SKIFF_BRIDGE: agent.bridge, SKIFF_NFT_TABLE: agent.nftTable, SKIFF_CGROUP_PARENT: agent.cgroupParent };
  const r = spawnSync(SKIFF, ['daemon', '--root', agent.root, '--socket', agent.socket, '--docker-socket', agent.dockerSocket, ...flags], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('an agent reset on the same host', () => {
  it("starts clean: its bridge keeps one subnet, the old root's network bridges are gone", async () => {
    const agent = await AgentHarness.create([registry]);
    let userBridges: string[] = [];
    try {
      const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
      expect(run.code, run.stderr).toBe(0);
      expect(agent.cli(['network', 'create', 'hyg-net']).code).toBe(0);
      const first = v4Addresses(agent.bridge);
      expect(first).toHaveLength(1);
      // the user network's bridge: the one link the agent made besides its default bridge
      userBridges = readdirSync('/sys/class/net').filter((d) => d.startsWith('skbr-') && agent.cli(['network', 'inspect', 'hyg-net']).stdout.includes(d));
      expect(userBridges).toHaveLength(1);
      const firstRootId = rootIdOf(agent);

      // stop, wipe the root, start again: twice (the report saw one more /16 per start)
      for (let reset = 0; reset < 2; reset++) {
        expect(agent.cli(['rm', '-f', ...agent.cli(['ps', '-aq']).stdout.split('\n').filter(Boolean)]).code).toBe(0);
        await agent.kill();
        expect(mountsUnder(agent.root)).toEqual([]);
        // a process of the agent still exiting can create a file while the tree goes (ENOTEMPTY): rm retries that
        await rm(agent.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        await agent.start();
        const again = agent.cli(['run', '-d', image, 'sleep', '1d']);
        expect(again.code, again.stderr).toBe(0);

        const addrs = v4Addresses(agent.bridge);
        expect(addrs, `reset ${reset + 1}`).toHaveLength(1);
        expect(routesVia(agent.bridge)).toEqual([addrs[0]!.replace(/\.1\//, '.0/')]);
        for (const b of userBridges) expect(linkExists(b), `bridge ${b} of the wiped root`).toBe(false);
        const rootId = rootIdOf(agent);
        expect(rootId).not.toBe(firstRootId);
        expect(ifalias(agent.bridge)).toBe(`skiff:${agent.bridge}:${rootId}`);
        expect(markedBridges(agent.bridge)).toEqual([agent.bridge]);
        expect(sh('nft', ['list', 'table', 'ip', agent.nftTable]).stdout).toContain(`comment "skiff:${agent.bridge}:${rootId}"`);
      }
    } finally {
      await agent.dispose();
      dropMarkedBridges(agent);
      for (const b of userBridges) if (linkExists(b)) sh('ip', ['link', 'del', b]);
    }
  }, 180_000);

  it('removes addresses it left on its own bridge under an earlier subnet', async () => {
    const agent = await AgentHarness.create([registry]);
    try {
      expect(agent.cli(['run', '-d', image, 'sleep', '1d']).code).toBe(0);
      const [kept] = v4Addresses(agent.bridge);
      // what an older agent left after a reset: a second /16 on the same bridge, with its route
      expect(sh('ip', ['addr', 'add', '10.251.0.1/16', 'dev', agent.bridge]).status).toBe(0);
      await agent.kill();
      await agent.start();
      expect(v4Addresses(agent.bridge)).toEqual([kept]);
      expect(routesVia(agent.bridge)).not.toContain('10.251.0.0/16');
      expect(agent.output).toContain(`removed stale address 10.251.0.1/16 from bridge ${agent.bridge}`);
    } finally {
      await agent.dispose();
    }
  }, 120_000);
});

describe('skiff daemon --cleanup / --purge', () => {
  it('refuses while the agent or a container runs, then removes every host object; --purge the root', async () => {
    const agent = await AgentHarness.create([registry]);
    try {
      const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim();
      expect(agent.cli(['network', 'create', 'hyg-net2']).code).toBe(0);
      expect(agent.cli(['network', 'connect', 'hyg-net2', id]).code).toBe(0);
      const bridges = markedBridges(agent.bridge);
      expect(bridges).toHaveLength(2);

      const whileUp = daemonAction(agent, ['--cleanup']);
      expect(whileUp.code).not.toBe(0);
      expect(whileUp.stderr).toMatch(/agent is running/);

      await agent.kill(); // the container's shim runs on
      const refused = daemonAction(agent, ['--cleanup']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/1 container\(s\) are running.*--force/);
      expect(bridges.every(linkExists)).toBe(true);

      const done = daemonAction(agent, ['--cleanup', '--force']);
      expect(done.code, done.stderr).toBe(0);
      for (const b of bridges) expect(linkExists(b), b).toBe(false);
      expect(markedBridges(agent.bridge)).toEqual([]);
      expect(nftTableExists(agent.nftTable)).toBe(false);
      expect(cgroupDirs(agent.cgroupParent)).toEqual([]);
      expect(netnsNames()).not.toContain(`skiff-${id.slice(0, 12)}`);
      expect(mountsUnder(agent.root)).toEqual([]);
      // the data stays: the container is still known, stopped
      expect(existsSync(join(agent.root, 'containers', id))).toBe(true);

      const purged = daemonAction(agent, ['--purge']);
      expect(purged.code, purged.stderr).toBe(0);
      expect(existsSync(agent.root)).toBe(false);
      expect(markedBridges(agent.bridge)).toEqual([]);
      expect(nftTableExists(agent.nftTable)).toBe(false);
    } finally {
      await agent.dispose();
      dropMarkedBridges(agent);
    }
  }, 180_000);

  it('reports the cgroup of a container whose root was wiped while it ran, and --cleanup --force kills and removes it', async () => {
    const agent = await AgentHarness.create([registry]);
    let shim = 0;
    try {
      const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim();
      shim = Number(readFileSync(join(agent.root, 'containers', id, 'shim.pid'), 'utf8'));
      await agent.kill();
      // the container runs on, known to nobody; its shim or an exiting agent process can still create a file while the tree goes (ENOTEMPTY)
      await rm(agent.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      await agent.start();
      expect(agent.output).toMatch(new RegExp(`found cgroup \\S*/${agent.cgroupParent}/${id}: no container of this root`));
      await agent.kill();

      const refused = daemonAction(agent, ['--cleanup']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/cgroup\(s\) of containers this root does not know.*--force/);
      const done = daemonAction(agent, ['--cleanup', '--force']);
      expect(done.code, done.stderr).toBe(0);
      expect(cgroupDirs(agent.cgroupParent)).toEqual([]);
      expect(netnsNames()).not.toContain(`skiff-${id.slice(0, 12)}`);
      for (let i = 0; i < 50 && existsSync(`/proc/${shim}`) && !/\) Z /.test(readFileSync(`/proc/${shim}/stat`, 'utf8')); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(`/proc/${shim}`) && !/\) Z /.test(readFileSync(`/proc/${shim}/stat`, 'utf8')), 'the orphan shim exited').toBe(false);
    } finally {
      await agent.dispose();
      dropMarkedBridges(agent);
    }
  }, 120_000);

  it('`skiff daemon --help` prints the usage and exits 0', () => {
    const r = spawnSync(SKIFF, ['daemon', '--help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/usage: skiff daemon/);
    expect(r.stdout).toMatch(/--cleanup/);
    expect(r.stdout).toMatch(/--purge/);
  });
});
