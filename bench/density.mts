/**
 * Density: N idle containers (busybox `sleep`) on the default bridge network, started through
 * a real agent (`skiff daemon` with its own root, socket, port, bridge, nft table and cgroup
 * parent) over the tRPC client the CLI uses. At each N: shim RSS/PSS, kernel memory per
 * container, agent RSS, time to start all, `ps` (containers.list) latency, time to stop all.
 * podman's conmon is measured in the same run at the smallest N (at most 100) for the ratios.
 *
 * Usage (root): npx tsx bench/density.mts [N...] [--concurrency C] [--ps-calls K] [--no-peer]
 *   default N = 100 500 1000, C = 8, K = 1000 (a p99 of 250 calls rests on its 3 slowest; of 1000, on 10)
 *   DENSITY_AGENT_NODE_FLAGS: node flags for the agent only (profiling: "--cpu-prof --cpu-prof-dir=/tmp/prof", "--trace-gc")
 *   DENSITY_AGENT_LOG: a file that gets the agent's output (e.g. --trace-gc's), each chunk stamped "@epoch-ms" on arrival
 *   DENSITY_PS_LOG: a file that gets each `ps` call of the client process as "N start-ms duration-ms" (wall clock, to line up with --trace-gc)
 * Everything it creates is removed at the end, also on failure and Ctrl-C.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pullImage } from '../apps/agent/src/cli/commands/images.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { startAgent, type Agent } from './lib/bench-agent.mjs';
import { podman as startPodman, type Podman } from './lib/peers.mjs';
import { kernelKb, meminfo, mib, processRss, readPid, smapsRollup } from './lib/proc-memory.mjs';
import { median, percentile, report, timeMs, type BenchResult, type Row } from './lib/report.mjs';
import { cleanup, cleanups } from './lib/cleanups.mjs';

// ---- arguments --------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  argv.splice(i, 2);
  return v;
};
const CONCURRENCY = flag('--concurrency', 8);
const PS_CALLS = Math.max(200, flag('--ps-calls', 1000));
const PEER = !argv.includes('--no-peer');
const SIZES = argv.filter((a) => /^\d+$/.test(a)).map(Number);
if (!SIZES.length) SIZES.push(100, 500, 1000);
const PEER_N = Math.min(100, Math.min(...SIZES));

// the bench's own host resource names, apart from any real agent and other benches
const BRIDGE = 'skbdensity0';
const NFT_TABLE = 'skiff_b_density';
const CGROUP_PARENT = 'skiff-b-density';

// ---- cleanup, also on failure and Ctrl-C --------------------------------------------------

/** set on Ctrl-C: the measuring pools stop taking new work, so cleanup is not racing them */
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) {
      console.error(`\n${sig} again: exiting without finishing the cleanup`);
      process.exit(130);
    }
    stopping = true;
    console.error(`\n${sig}: cleaning up (again to exit at once)`);
    void cleanup().finally(() => process.exit(130));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** runs fn over items with at most `limit` in flight; after Ctrl-C only with `always` */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, always = false): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && (always || !stopping)) await fn(items[next++]!);
    }),
  );
}

/** `p`, or undefined after `ms`: one stuck call must not hang the cleanup */
const within = <T,>(p: Promise<T>, ms: number) => Promise.race([p, sleep(ms).then(() => undefined)]);

// ---- one size -----------------------------------------------------------------------------

interface Sample {
  n: number;
  startMs: number;
  stopMs: number;
  removeMs: number;
  shimRss: number[];
  shimPss: number[];
  initPss: number[];
  /** kB per container: Slab + KernelStack + PageTables + Percpu growth, and the MemAvailable-based estimate */
  kernelPerContainer: number;
  slabPerContainer: number;
  availPerContainer: number;
  agentRss: number;
  agentHwm: number;
  /** before the `ps` calls (their garbage shows in agentRss until V8's next full GC) */
  agentRssBeforePs: number;
  /** from a client process of its own (bench/lib/ps-client.mts) */
  psMs: number[];
  psBytes: number;
  /** the same calls from this process, whose heap starting N containers shaped */
  psInBenchMs: number[];
}

/** `ps` latencies measured by bench/lib/ps-client.mts in a process of its own (same loader, same SKIFF_HOST) */
async function psFromOwnProcess(calls: number): Promise<{ ms: number[]; bytes: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, resolve(import.meta.dirname, 'lib', 'ps-client.mts'), String(calls)], {
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout) as { ms: number[]; bytes: number };
}

async function measureSkiff(agent: Agent, image: string, n: number): Promise<Sample> {
  const { client, root } = agent;
  await sleep(2000);
  const agentBefore = processRss(agent.proc.pid!).rss;
  const before = meminfo();
  const ids: string[] = [];
  const startMs = await timeMs(() =>
    pool(
      Array.from({ length: n }, (_, i) => i),
      CONCURRENCY,
      async () => {
        const { id } = await client.containers.run.mutate({ spec: { image, cmd: ['sleep', '1d'] } });
        ids.push(id);
      },
    ),
  );
  await sleep(3000); // let start-up allocations settle (and the sweep run) before sampling
  const running = await client.containers.list.query({});
  if (running.length !== n) throw new Error(`${running.length} containers running, expected ${n}`);

  const shims: { rss: number; pss: number }[] = [];
  const inits: { rss: number; pss: number }[] = [];
  for (const id of ids) {
    const dir = join(root, 'containers', id);
    const s = smapsRollup(readPid(join(dir, 'shim.pid')));
    const i = smapsRollup(readPid(join(dir, 'init.pid')));
    if (!s || !i) throw new Error(`container ${id} has no live shim or init`);
    shims.push(s);
    inits.push(i);
  }
  const after = meminfo();
  const agentAfter = processRss(agent.proc.pid!).rss;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const userKb = sum(shims.map((s) => s.pss)) + sum(inits.map((s) => s.pss)) + (agentAfter - agentBefore);
  const usedKb = before.MemAvailable! - after.MemAvailable!;

  // `ps`: containers.list over the agent API, one call at a time; first from a client
  // process of its own (the headline), then the same from this process
  const ownClient = await psFromOwnProcess(PS_CALLS);
  for (let i = 0; i < 5; i++) await client.containers.list.query({});
  const psInBenchMs: number[] = [];
  for (let i = 0; i < PS_CALLS; i++) psInBenchMs.push(await timeMs(() => client.containers.list.query({})));
  const agentRss = processRss(agent.proc.pid!);

  // busybox sleep as PID 1 ignores SIGTERM, so stop -t 0 (SIGTERM then SIGKILL at once)
  const stopMs = await timeMs(() => pool(ids, CONCURRENCY * 4, (id) => client.containers.stop.mutate({ id, timeout: 0 })));
  const removeMs = await timeMs(() => pool(ids, CONCURRENCY * 4, (id) => client.containers.remove.mutate({ id })));
  return {
    n,
    startMs,
    stopMs,
    removeMs,
    shimRss: shims.map((s) => s.rss),
    shimPss: shims.map((s) => s.pss),
    initPss: inits.map((s) => s.pss),
    kernelPerContainer: kernelKb(before, after) / n,
    slabPerContainer: (after.Slab! - before.Slab!) / n,
    availPerContainer: (usedKb - userKb) / n,
    agentRss: agentRss.rss,
    agentHwm: agentRss.hwm,
    agentRssBeforePs: agentAfter,
    psMs: ownClient.ms,
    psBytes: ownClient.bytes,
    psInBenchMs,
  };
}

// ---- the peer: podman (conmon per container, runc) -------------------------------------

interface PeerSample {
  n: number;
  network: string;
  startMs: number;
  stopMs: number;
  conmonRss: number[];
  conmonPss: number[];
  kernelPerContainer: number;
  slabPerContainer: number;
  availPerContainer: number;
}

async function measurePodman(registryImage: string, n: number): Promise<PeerSample> {
  const p: Podman = startPodman();
  cleanups.push(() => p.dispose());
  const run = promisify(execFile);
  const cmd = (args: string[]) => run(p.argv[0]!, [...p.argv.slice(1), ...args], { maxBuffer: 1 << 26 });
  await cmd(['pull', '--tls-verify=false', '-q', registryImage]);
  // podman's default bridge when its network stack works here, else no network (conmon is the same either way)
  let network = 'bridge';
  const probe = spawnSync(p.argv[0]!, [...p.argv.slice(1), 'run', '--rm', ...p.runFlags, registryImage, 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`note: podman on its default network failed here (${(probe.stderr || '').trim().split('\n').pop()}); measuring it with --network none`);
    network = 'none';
  }
  await sleep(2000);
  const before = meminfo();
  const ids: string[] = [];
  const startMs = await timeMs(() =>
    pool(
      Array.from({ length: n }, (_, i) => i),
      CONCURRENCY,
      async () => {
        const { stdout } = await cmd(['run', '-d', ...p.runFlags, '--network', network, registryImage, 'sleep', '1d']);
        ids.push(stdout.trim());
      },
    ),
  );
  await sleep(3000);
  const { stdout } = await cmd(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', ...ids]);
  const conmons: { rss: number; pss: number }[] = [];
  const inits: { rss: number; pss: number }[] = [];
  for (const line of stdout.trim().split('\n')) {
    const [conmon, init] = line.split(' ').map(Number);
    conmons.push(smapsRollup(conmon!)!);
    inits.push(smapsRollup(init!)!);
  }
  const after = meminfo();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const userKb = sum(conmons.map((s) => s.pss)) + sum(inits.map((s) => s.pss));
  const stopMs = await timeMs(() => cmd(['stop', '-t', '0', ...ids]));
  await cmd(['rm', '-f', ...ids]);
  return {
    n,
    network,
    startMs,
    stopMs,
    conmonRss: conmons.map((s) => s.rss),
    conmonPss: conmons.map((s) => s.pss),
    kernelPerContainer: kernelKb(before, after) / n,
    slabPerContainer: (after.Slab! - before.Slab!) / n,
    availPerContainer: (before.MemAvailable! - after.MemAvailable! - userKb) / n,
  };
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const reg = await fixtureRegistry();
  cleanups.push(() => stopFixtureRegistry());
  const image = `${reg.host}/skiff-test/busybox:latest`;
  const agent = await startAgent(reg.host, { bridge: BRIDGE, nftTable: NFT_TABLE, cgroupParent: CGROUP_PARENT }, (fn) => cleanups.push(fn));
  cleanups.push(async () => {
    // through the agent while it lives: it tears down netns, veths and cgroups itself
    const left = (await within(agent.client.containers.list.query({ all: true }), 10_000).catch(() => undefined)) ?? [];
    await pool(
      left.map((c) => c.id),
      16,
      (id) =>
        within(agent.client.containers.remove.mutate({ id, force: true }), 10_000).then(
          () => {},
          () => {},
        ),
      true,
    );
    agent.close();
  });
  await pullImage(agent.client, image, { quiet: true, stream: process.stdout });
  const agentIdle = processRss(agent.proc.pid!).rss;

  const samples: Sample[] = [];
  for (const n of SIZES) {
    console.log(`skiff: ${n} containers…`);
    const s = await measureSkiff(agent, image, n);
    samples.push(s);
    console.log(
      `  start ${(s.startMs / 1000).toFixed(1)} s, shim RSS median ${median(s.shimRss)} kB, agent RSS ${(mib(s.agentRss)).toFixed(0)} MiB, ps p99 ${percentile(s.psMs, 99).toFixed(1)} ms (in the bench's process ${percentile(s.psInBenchMs, 99).toFixed(1)}), stop ${(s.stopMs / 1000).toFixed(1)} s`,
    );
  }
  let peer: PeerSample | undefined;
  if (PEER) {
    console.log(`podman: ${PEER_N} containers…`);
    peer = await measurePodman(image, PEER_N).catch((e: Error) => {
      console.log(`note: podman could not be measured: ${e.message.split('\n')[0]}`);
      return undefined;
    });
  }

  const rows: Row[] = [];
  const skiffAtPeer = samples.find((s) => s.n === PEER_N);
  const ratio = (a: number, b: number | undefined) => (b ? a / b : '');
  for (const s of samples) {
    const isPeerN = peer && s === skiffAtPeer;
    const label = (what: string) => `${what}, N=${s.n}`;
    rows.push({
      label: label('shim RSS per container'),
      value: mib(median(s.shimRss)),
      unit: 'MiB',
      extra: { max: mib(Math.max(...s.shimRss)), ...(isPeerN ? { 'x podman': ratio(median(s.shimRss), median(peer!.conmonRss)) } : {}) },
    });
    rows.push({
      label: label('shim PSS per container'),
      value: mib(median(s.shimPss)),
      unit: 'MiB',
      extra: { max: mib(Math.max(...s.shimPss)), ...(isPeerN ? { 'x podman': ratio(median(s.shimPss), median(peer!.conmonPss)) } : {}) },
    });
    rows.push({
      label: label('kernel memory per container'),
      value: mib(s.kernelPerContainer),
      unit: 'MiB',
      extra: {
        'slab MiB': mib(s.slabPerContainer),
        'MemAvailable-based MiB': mib(s.availPerContainer),
        ...(isPeerN ? { 'x podman': ratio(s.kernelPerContainer, peer!.kernelPerContainer) } : {}),
      },
    });
    rows.push({ label: label('agent RSS'), value: mib(s.agentRss), unit: 'MiB', extra: { max: mib(s.agentHwm), 'before ps': mib(s.agentRssBeforePs) } });
    rows.push({
      label: label(`start all (concurrency ${CONCURRENCY})`),
      value: s.startMs / 1000,
      unit: 's',
      extra: { 'per container ms': s.startMs / s.n, ...(isPeerN ? { 'x podman': ratio(s.startMs, peer!.startMs) } : {}) },
    });
    rows.push({
      label: label(`ps (containers.list), ${s.psMs.length} calls from a client process`),
      value: median(s.psMs),
      unit: 'ms p50',
      extra: { p99: percentile(s.psMs, 99), 'response kB': s.psBytes / 1024 },
    });
    rows.push({
      label: label(`ps, the same from the bench's process`),
      value: median(s.psInBenchMs),
      unit: 'ms p50',
      extra: { p99: percentile(s.psInBenchMs, 99) },
    });
    rows.push({
      label: label(`stop all, -t 0 (concurrency ${CONCURRENCY * 4})`),
      value: s.stopMs / 1000,
      unit: 's',
      extra: { 'remove all s': s.removeMs / 1000, ...(isPeerN ? { 'x podman': ratio(s.stopMs, peer!.stopMs) } : {}) },
    });
  }
  if (peer) {
    const label = (what: string) => `podman ${what}, N=${peer!.n}`;
    rows.push({ label: label('conmon RSS per container'), value: mib(median(peer.conmonRss)), unit: 'MiB', extra: { max: mib(Math.max(...peer.conmonRss)) } });
    rows.push({ label: label('conmon PSS per container'), value: mib(median(peer.conmonPss)), unit: 'MiB', extra: { max: mib(Math.max(...peer.conmonPss)) } });
    rows.push({
      label: label('kernel memory per container'),
      value: mib(peer.kernelPerContainer),
      unit: 'MiB',
      extra: { 'slab MiB': mib(peer.slabPerContainer), 'MemAvailable-based MiB': mib(peer.availPerContainer) },
    });
    rows.push({
      label: label(`run -d all (concurrency ${CONCURRENCY}, network ${peer.network})`),
      value: peer.startMs / 1000,
      unit: 's',
      extra: { 'per container ms': peer.startMs / peer.n },
    });
    rows.push({ label: label('stop -t 0 all (one command)'), value: peer.stopMs / 1000, unit: 's' });
  }

  const series = (name: string, unit: string, y: (s: Sample) => number) => ({ name, unit, points: samples.map((s) => ({ x: s.n, y: y(s) })) });
  const result: BenchResult = {
    name: 'density',
    title: `density: N idle busybox \`sleep\` containers on the default bridge, through the agent API`,
    rows,
    series: [
      series('shim RSS median', 'MiB', (s) => mib(median(s.shimRss))),
      series('shim PSS median', 'MiB', (s) => mib(median(s.shimPss))),
      series('kernel memory per container', 'MiB', (s) => mib(s.kernelPerContainer)),
      series('agent RSS', 'MiB', (s) => mib(s.agentRss)),
      series('start all', 's', (s) => s.startMs / 1000),
      series('ps p50', 'ms', (s) => median(s.psMs)),
      series('ps p99', 'ms', (s) => percentile(s.psMs, 99)),
      series('stop all', 's', (s) => s.stopMs / 1000),
    ],
    notes: [
      `agent RSS idle (image pulled, no containers): ${mib(agentIdle).toFixed(0)} MiB`,
      "kernel memory = growth of Slab + KernelStack + PageTables + Percpu in /proc/meminfo / N; MemAvailable-based = (drop in MemAvailable − shims' and containers' PSS − agent RSS growth) / N, approximate on a shared host",
      'targets: shim RSS ≤ 1 MiB, agent RSS ≤ 200 MiB at N=1000; ps p99 ≤ 20 ms at N=1000',
    ],
  };
  report(result);
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
