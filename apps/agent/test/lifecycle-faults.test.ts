/**
 * Fault injection for the container lifecycle: several clients run random interleavings of
 * run/start/stop/restart/kill/rm/exec/pull/build against a real agent while the agent is SIGKILLed (and sometimes a
 * shim) at random moments; after every restart the host itself is checked against the
 * agent's records. A failure prints its seed: SKIFF_FAULT_SEED=<seed> replays the choices.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostViolations, pidNsDepth, type RecordedContainer, mulberry32 } from '@skiff/test-fixtures';
import { useAgent } from './use-agent.js';

const fx = useAgent({ pull: true });

const ROUNDS = Number(process.env.SKIFF_FAULT_ROUNDS ?? 8);
const CLIENTS = 3;
const OPS_PER_CLIENT = 5;
const NAMES = ['f0', 'f1', 'f2', 'f3', 'f4'];
const VOLUME = 'fault-keep';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** a build context whose RUN step takes a moment, so a kill can land inside it */
const buildCtx = mkdtempSync(join(tmpdir(), 'skiff-fault-build-'));
afterAll(() => rmSync(buildCtx, { recursive: true, force: true }));

function shimPids(root: string): number[] {
  const dir = join(root, 'containers');
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cl = '';
    try {
      cl = readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cl.includes('skiff-shim') && cl.includes(`${dir}/`) && pidNsDepth(Number(e)) === pidNsDepth('self')) out.push(Number(e));
  }
  return out;
}

describe('the lifecycle under faults', () => {
  it(`keeps the host and the records in step over ${ROUNDS} rounds of random operations, agent and shim kills`, async () => {
    const { agent, image } = fx;
    const seed = Number(process.env.SKIFF_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = mulberry32(seed);
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
    console.log(`lifecycle faults: seed ${seed} (SKIFF_FAULT_SEED=${seed} replays), ${ROUNDS} rounds x ${CLIENTS} clients x ${OPS_PER_CLIENT} ops`);

    writeFileSync(join(buildCtx, 'Dockerfile'), `FROM ${image}\nRUN sleep 0.3 && echo $RANDOM > /r\n`);
    expect(agent.cli(['volume', 'create', VOLUME]).code).toBe(0);
    const seeded = agent.cli(['run', '--rm', '-v', `${VOLUME}:/v`, image, 'sh', '-c', 'echo kept > /v/data']);
    expect(seeded.code).toBe(0);
    const volumeFile = join(agent.root, 'volumes', VOLUME, '_data', 'data');
    const everCreated = new Set<string>();
    const noteIds = () => {
      const dir = join(agent.root, 'containers');
      for (const id of existsSync(dir) ? readdirSync(dir) : []) everCreated.add(id);
    };

    const op = async (): Promise<string> => {
      const name = pick(NAMES);
      const kind = pick(['run', 'run', 'start', 'stop', 'rm', 'exec', 'kill', 'restart', 'pull', 'build']);
      const args =
        kind === 'run'
          ? ['run', '-d', '--name', name, '-p', '80', ...(rand() < 0.3 ? ['-v', `${VOLUME}:/v`] : []), image, 'sleep', '1d']
          : kind === 'stop'
            ? ['stop', '-t', '0', name]
            : kind === 'restart'
              ? ['restart', '-t', '0', name]
              : kind === 'kill'
                ? ['kill', name]
                : kind === 'rm'
                  ? ['rm', '-f', name]
                  : kind === 'exec'
                    ? ['exec', name, 'true']
                    : kind === 'pull'
                      ? ['pull', image]
                      : kind === 'build'
                        ? ['build', '--no-cache', '-q', '-t', `fault-build:${name}`, buildCtx]
                        : ['start', name];
      const r = await agent.cliAsync(args);
      noteIds();
      return `${kind}${kind === 'pull' ? '' : ` ${name}`}:${r.code}`;
    };

    for (let round = 1; round <= ROUNDS; round++) {
      // faults strike after a random number of finished operations, plus a moment, so
      // they land in the middle of the operations still in flight
      const total = CLIENTS * OPS_PER_CLIENT;
      const killAgentAfter = rand() < 0.75 ? 1 + Math.floor(rand() * (total - 2)) : undefined;
      const killShimAfter = rand() < 0.4 ? Math.floor(rand() * total) : undefined;
      let finished = 0;
      const reached = (n: number) =>
        new Promise<void>((r) => {
          const poll = () => (finished >= n ? r() : setTimeout(poll, 5));
          poll();
        });
      const clients = Array.from({ length: CLIENTS }, async () => {
        const done: string[] = [];
        for (let i = 0; i < OPS_PER_CLIENT; i++) {
          done.push(await op());
          finished++;
          await sleep(rand() * 50);
        }
        return done;
      });
      const faults: string[] = [];
      const injected = (async () => {
        if (killShimAfter !== undefined && killShimAfter <= (killAgentAfter ?? total)) {
          await reached(killShimAfter);
          await sleep(rand() * 60);
          const shims = shimPids(agent.root);
          if (shims.length) {
            const victim = pick(shims);
            try {
              process.kill(victim, 'SIGKILL');
              faults.push(`shim ${victim} killed after ${killShimAfter} ops`);
            } catch {
              faults.push('shim gone before the kill');
            }
          }
        }
        if (killAgentAfter !== undefined) {
          await reached(killAgentAfter);
          await sleep(rand() * 60);
          noteIds();
          await agent.kill();
          faults.push(`agent SIGKILLed after ${killAgentAfter} ops`);
        }
      })();
      const ops = (await Promise.all(clients)).flat();
      await injected;
      if (!agent.running) await agent.start();
      noteIds();

      // the host against the records, once exits in flight have landed
      let violations: string[] = [];
      let containers: RecordedContainer[] = [];
      for (const until = Date.now() + 6000; ; ) {
        containers = recorded(agent);
        violations = hostViolations({
          root: agent.root,
          cgroupParent: agent.cgroupParent,
          bridge: agent.bridge,
          nftTable: agent.nftTable,
          containers,
          everCreated,
        });
        if (!existsSync(volumeFile) || readFileSync(volumeFile, 'utf8') !== 'kept\n') violations.push(`volume ${VOLUME} lost its data`);
        if (!violations.length || Date.now() > until) break;
        await sleep(200);
      }
      const running = containers.filter((c) => c.status === 'running').length;
      console.log(
        `round ${round}: ${ops.length} ops (${ops.join(', ')}); faults: ${faults.join(', ') || 'none'}; ` +
          `checked ${containers.length} records (${running} running), shims, cgroups, netns, veths, addresses, nft rules, mounts, volume: ${violations.length ? 'VIOLATED' : 'ok'}`,
      );
      expect(violations, `round ${round} of seed ${seed}`).toEqual([]);
    }
  }, 180_000);
});

describe('an agent killed while containers start', () => {
  it('comes back with every started container recorded as running, and no start or rm -f makes a second or leaves one', async () => {
    const { agent, image } = fx;
    const everCreated = new Set<string>();
    const noteIds = () => {
      const dir = join(agent.root, 'containers');
      for (const id of existsSync(dir) ? readdirSync(dir) : []) everCreated.add(id);
    };
    const names = Array.from({ length: 20 }, (_, i) => `boot${i}`);
    const runs = names.map((n) => agent.cliAsync(['run', '-d', '--name', n, '-p', '80', image, 'sleep', '1d']));
    // the kill lands while the starts are in flight: some have a shim, some a cgroup only
    const until = Date.now() + 20_000;
    while (shimPids(agent.root).length < 5 && Date.now() < until) await sleep(5);
    noteIds();
    await agent.kill();
    await Promise.all(runs);
    noteIds();
    await agent.start();
    const check = async () => {
      for (const until = Date.now() + 6000; ; ) {
        const v = hostViolations({
          root: agent.root,
          cgroupParent: agent.cgroupParent,
          bridge: agent.bridge,
          nftTable: agent.nftTable,
          containers: recorded(agent),
          everCreated,
        });
        if (!v.length || Date.now() > until) return v;
        await sleep(200);
      }
    };
    expect(await check()).toEqual([]);
    const states = recorded(agent);
    console.log(`after the restart: ${states.map((c) => `${c.id.slice(0, 12)} ${c.status}`).join(', ')}`);
    expect(states.filter((c) => c.status === 'running').length).toBeGreaterThanOrEqual(5);
    // start of each: a running one stays the one instance, a created one starts once
    for (const c of states) agent.cli(['start', c.id]);
    expect(await check()).toEqual([]);
    const ids = states.map((c) => c.id);
    if (ids.length) expect(agent.cli(['rm', '-f', ...ids]).code).toBe(0);
    expect(recorded(agent)).toEqual([]);
    expect(await check()).toEqual([]);
  }, 120_000);
});

/** the agent's records: every container's inspect (status, bridge addresses) */
function recorded(agent: (typeof fx)['agent']): RecordedContainer[] {
  const ps = agent.cli(['ps', '-aq', '--no-trunc']);
  if (ps.code !== 0) throw new Error(`ps failed: ${ps.stderr}`);
  const ids = ps.stdout.split('\n').filter(Boolean);
  if (!ids.length) return [];
  const ins = agent.cli(['inspect', ...ids]);
  // a container removed between the two calls is simply not listed
  const list = JSON.parse(ins.stdout || '[]') as {
    Id: string;
    State: { Status: string };
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  }[];
  return list.map((c) => ({
    id: c.Id,
    status: c.State.Status,
    ips: Object.values(c.NetworkSettings?.Networks ?? {})
      .map((n) => n.IPAddress ?? '')
      .filter(Boolean),
  }));
}
