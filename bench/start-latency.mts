/**
 * Start latency: `run --rm <busybox> true` to exit, measured in one run on this host for
 * Skiff (runtime API, agent API, CLI) and its peers: crun and runc on an OCI bundle of the
 * very same root filesystem, and podman with the same image. Prints medians, p90 and
 * ratios, then where Skiff's own start spends its time.
 *
 * Usage (root): npx tsx bench/start-latency.mts [runs=30]
 *
 * Fairness: the tools take turns (one run of each per round, in a fixed order) and every
 * measured run starts after GAP_MS of idle, so none inherits a warm kernel state from the
 * previous one (a cgroup migration right after another is cheaper: the kernel's
 * threadgroup rwsem is still in its fast mode for a moment).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentHarness, SKIFF } from '../apps/agent/test/agent-harness.js';
import { connectAgent } from '../apps/agent/src/cli/client.js';
import { createRuntime } from '../packages/runtime/src/runtime.js';
import { fixtureRegistry, stopFixtureRegistry, removeCgroupParent } from '@skiff/test-fixtures';
import { crunRunner } from './lib/crun-runner.mjs';
import { ensureDebian, podman } from './lib/peers.mjs';
import { median, percentile, report, timeMs, type Row } from './lib/report.mjs';

const RUNS = Number(process.argv[2] ?? 30);
const GAP_MS = 50;

ensureDebian({ crun: 'crun', runc: 'runc' });
// the CLI as installed: the native client and a bundle as fresh as the sources (a stale
// bundle makes bin/skiff fall back to tsx, which is not what a user runs)
execFileSync('npm', ['run', 'build', '-w', '@skiff/agent', '--silent'], { stdio: 'inherit' });
const reg = await fixtureRegistry();
const image = `${reg.host}/skiff-test/busybox:latest`;
const work = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
const phases: Record<string, number[]> = {};
let bridgeRun = false;
const rt = await createRuntime({
  root: join(work, 'root'),
  insecureRegistries: [reg.host],
  cgroupParent: 'skiff-bench',
  bridgeName: 'skbench0',
  nftTable: 'skiff_bench',
  // the bridge starts' phases: the full path (a --network none start skips the network phase)
  onStartPhases: (_id, p) => {
    if (!bridgeRun) return;
    for (const [k, v] of Object.entries(p)) (phases[k] ??= []).push(v);
  },
});
await rt.images.pull(image);

// the same root filesystem as an OCI bundle for crun and runc (runc's default spec: its
// namespaces, mounts and capabilities; no network, like `--network none`): the image's one
// layer, unpacked from the fixture blob the registry serves, not from the store's internals
const bundle = join(work, 'bundle');
mkdirSync(join(bundle, 'rootfs'), { recursive: true });
execFileSync('tar', ['-xzf', '-', '-C', join(bundle, 'rootfs')], { input: reg.fixtures.busybox.layers[0]!.blob });
execFileSync('runc', ['spec'], { cwd: bundle });
const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
spec.process.args = ['true'];
spec.process.terminal = false;
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

const crun = crunRunner(work);
const pm = podman();
pm.run(['pull', '-q', '--tls-verify=false', image]);
const agent = await AgentHarness.create([reg.host]);
process.env.SKIFF_HOST = `unix://${agent.socket}`;
const { client, close: closeClient } = await connectAgent();
if (spawnSync(SKIFF, ['pull', image], { env: agent.env, stdio: 'ignore' }).status !== 0) throw new Error('skiff pull through the agent failed');

/** `skiff run --rm IMAGE true` as the CLI does it: run with an attached session, to the exit event */
async function agentRun(network?: string): Promise<void> {
  const { sessionId } = await client.containers.run.mutate({ spec: { image, cmd: ['true'], autoRemove: true, network }, attach: true });
  await new Promise<void>((resolve, reject) => {
    const sub = client.containers.sessionOutput.subscribe(
      { sessionId: sessionId! },
      {
        onData(e) {
          if (e.type !== 'exit') return;
          sub.unsubscribe();
          if (e.code !== 0) reject(new Error(`exit ${e.code}`));
          else resolve();
        },
        onError: reject,
      },
    );
  });
}

function mustSucceed(r: { status: number | null; stderr?: string | Buffer }, what: string): void {
  if (r.status !== 0)
    throw new Error(
      `${what} failed (${r.status}): ${
        String(r.stderr ?? '')
          .trim()
          .split('\n')[0]
      }`,
    );
}

let n = 0;
/** `skiff run --rm IMAGE true`, a new process per run */
function cliRun(env: Record<string, string>): () => Promise<unknown> {
  return async () =>
    mustSucceed(spawnSync(SKIFF, ['run', '--rm', image, 'true'], { env: { ...agent.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }), 'skiff run');
}

const cases: { label: string; peer?: boolean; run: () => Promise<unknown> }[] = [
  { label: 'crun run', peer: true, run: async () => mustSucceed(await crun.run(['crun', 'run', '--bundle', bundle, `bench-crun-${n}`]), 'crun run') },
  {
    label: 'runc run',
    peer: true,
    run: async () => mustSucceed(spawnSync('runc', ['run', '--bundle', bundle, `bench-runc-${n}`], { stdio: ['ignore', 'ignore', 'pipe'] }), 'runc run'),
  },
  {
    label: 'podman run --rm --network none',
    peer: true,
    run: async () =>
      mustSucceed(
        spawnSync(pm.argv[0]!, [...pm.argv.slice(1), 'run', '--rm', ...pm.runFlags, '--network', 'none', image, 'true'], {
          stdio: ['ignore', 'ignore', 'pipe'],
        }),
        'podman run',
      ),
  },
  {
    label: 'podman run --rm (bridge)',
    peer: true,
    run: async () =>
      mustSucceed(
        spawnSync(pm.argv[0]!, [...pm.argv.slice(1), 'run', '--rm', ...pm.runFlags, image, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] }),
        'podman run',
      ),
  },
  {
    label: 'skiff runtime API, --network none',
    run: async () => {
      const { id } = await rt.containers.run({ image, cmd: ['true'], network: 'none' });
      await rt.containers.wait(id);
      await rt.containers.remove(id);
    },
  },
  {
    label: 'skiff runtime API, bridge',
    run: async () => {
      bridgeRun = true;
      const { id } = await rt.containers.run({ image, cmd: ['true'] }).finally(() => (bridgeRun = false));
      await rt.containers.wait(id);
      await rt.containers.remove(id);
    },
  },
  { label: 'skiff agent API, --network none', run: () => agentRun('none') },
  { label: 'skiff agent API, bridge', run: () => agentRun() },
  // `skiff` is the native client: the agent runs the call (apps/agent/src/daemon/cli-host.ts)
  { label: 'skiff CLI run --rm (bridge)', run: cliRun({}) },
  // the same call in a Node process of its own: what runs without the native client
  { label: 'skiff CLI (Node) run --rm (bridge)', run: cliRun({ SKIFF_CLIENT: 'node' }) },
];

// peers that cannot run on this host are reported, not measured
const usable = [];
for (const c of cases) {
  try {
    await c.run();
    usable.push(c);
  } catch (e) {
    console.log(`note: ${c.label} cannot run here: ${(e as Error).message}`);
  }
}
for (const k of Object.keys(phases)) delete phases[k]; // warm-up runs do not count

const times: Record<string, number[]> = {};
try {
  for (let i = 0; i < RUNS; i++) {
    for (const c of usable) {
      n++;
      await sleep(GAP_MS);
      (times[c.label] ??= []).push(await timeMs(c.run));
    }
  }
} finally {
  closeClient();
  await agent.dispose();
  crun.close();
  pm.dispose();
  await rt.networks.destroyAll();
  await rt.close();
  await stopFixtureRegistry();
  rmSync(work, { recursive: true, force: true });
  await removeCgroupParent('skiff-bench');
}

const med = (label: string) => (times[label] ? median(times[label]!) : NaN);
const crunMs = med('crun run');
const podmanMs = med('podman run --rm (bridge)');
const rows: Row[] = Object.entries(times).map(([label, xs]) => ({
  label,
  value: median(xs),
  unit: 'ms',
  extra: { p90: percentile(xs, 90), '× crun': median(xs) / crunMs, '× podman (bridge)': median(xs) / podmanMs },
}));
// runtime API starts only (the agent's ran in the agent process), bridge and none alike
const phaseRows: Row[] = Object.entries(phases).map(([label, xs]) => ({
  label: `phase: ${label}`,
  value: median(xs),
  unit: 'ms',
  extra: { p90: percentile(xs, 90) },
}));
report({
  name: 'start-latency',
  title: `start latency: run to exit of \`true\`, ${RUNS} runs each, ${GAP_MS} ms idle before each`,
  rows: [...rows, ...phaseRows],
  notes: [
    'crun runs in a private mount namespace where the cgroup v2 controller list reads empty (it refuses hybrid hosts otherwise)',
    'phases: median per phase over the runtime-API starts on the bridge',
  ],
});
process.exit(0);
