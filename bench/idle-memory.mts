/**
 * Idle memory: everything Skiff runs at idle (the agent, which serves the dashboard itself)
 * against Debian's Docker (dockerd + containerd) measured in the same run. Each has pulled
 * the same image from a loopback registry and runs no container; Skiff has also served
 * every dashboard page and asset once (a first visit) and answered a few API calls, and
 * Docker a few CLI calls. After a settle period both are sampled side by side: RSS, PSS
 * (shared pages split between their users) and USS (private pages: what stopping it gives
 * back), each a median of the samples. Then where the agent's memory goes, by mapping
 * (smaps), and with --v8 by V8 heap space (the inspector opened by SIGUSR1 after sampling).
 *
 * Usage (root): npx tsx bench/idle-memory.mts [--settle S] [--samples N] [--v8] [--also DIR]
 *   --settle S: seconds to wait after the last call before sampling (default 30)
 *   --samples N: samples 2 s apart (default 10)
 *   --also DIR: another checkout's `skiff` measured in the same run, e.g. a build from before
 *     a change (its agent's whole process tree: with the old design, its Next.js child);
 *     --also-label TEXT names its row. Note an old checkout's Next.js server writes its
 *     route cache under apps/web/.next as it serves.
 * Everything it creates is removed at the end, also on failure and Ctrl-C.
 */
import { mib, processTree, smapsByMapping, smapsRollup, type Kb } from './lib/proc-memory.mjs';
import { pullImage } from '../apps/agent/src/cli/commands/images.js';
import { fixtureRegistry, freePort, stopFixtureRegistry } from '@skiff/test-fixtures';
import { startAgent, type Agent } from './lib/bench-agent.mjs';
import { startDockerd } from './lib/dockerd.mjs';
import { median, report, type Row } from './lib/report.mjs';
import { v8Breakdown } from './lib/v8-inspect.mjs';
import { cleanup, cleanups } from './lib/cleanups.mjs';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const SETTLE_S = Number(opt('--settle') ?? 30);
const SAMPLES = Number(opt('--samples') ?? 10);
const ALSO = opt('--also');
const ALSO_LABEL = opt('--also-label') ?? `${ALSO}: agent and its children`;
const V8 = argv.includes('--v8');

const NAMES = { bridge: 'skbidle0', nftTable: 'skiff_b_idle', cgroupParent: 'skiff-b-idle' };
const ALSO_NAMES = { bridge: 'skbidle1', nftTable: 'skiff_b_idle1', cgroupParent: 'skiff-b-idle1' };
/** every page of the dashboard, a container's and a stack's with made-up names */
const PAGES = ['/', '/login', '/setup', '/containers', '/containers/4f1c0a', '/images', '/build', '/stacks', '/stacks/new', '/stacks/web'];
const PAGES_MORE = ['/volumes', '/networks', '/users', '/audit', '/registries'];

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a first visit: every page, then every script, style and font they name (compressed, as a browser asks) */
async function visitDashboard(port: number): Promise<{ pages: number; assets: number; bytes: number }> {
  const base = `http://127.0.0.1:${port}`;
  const assets = new Set<string>();
  let bytes = 0;
  let pages = 0;
  for (const p of [...PAGES, ...PAGES_MORE]) {
    const r = await fetch(base + p, { headers: { 'accept-encoding': 'br, gzip' } });
    const html = await r.text();
    bytes += html.length;
    if (r.ok) pages++;
    for (const m of html.matchAll(/\/_next\/static\/[^"'\s)]+/g)) assets.add(m[0]);
  }
  for (const a of assets) bytes += (await (await fetch(base + a, { headers: { 'accept-encoding': 'br, gzip' } })).arrayBuffer()).byteLength;
  return { pages, assets: assets.size, bytes };
}

async function exerciseAgent(agent: Agent, image: string): Promise<void> {
  await pullImage(agent.client, image, { quiet: true, stream: process.stdout });
  await agent.client.containers.list.query({ all: true });
  await agent.client.images.list.query({});
  const v = await visitDashboard(agent.port);
  console.log(`  dashboard: ${v.pages} pages, ${v.assets} assets, ${(v.bytes / 1024).toFixed(0)} KiB on the wire`);
}

/** the sum over a set of processes (and their descendants) */
function sample(pids: number[]): Kb & { procs: number } {
  const all = pids.flatMap(processTree);
  const sum = { rss: 0, pss: 0, uss: 0, procs: 0 };
  for (const p of all) {
    const m = smapsRollup(p);
    if (!m) continue;
    sum.rss += m.rss;
    sum.pss += m.pss;
    sum.uss += m.uss;
    sum.procs++;
  }
  return sum;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const reg = await fixtureRegistry();
  cleanups.push(() => stopFixtureRegistry());
  const image = `${reg.host}/skiff-test/busybox:latest`;

  const inspectPort = V8 ? await freePort() : 0;
  if (V8) process.env.DENSITY_AGENT_NODE_FLAGS = `--inspect-port=127.0.0.1:${inspectPort}`;
  console.log('skiff: starting the agent, pulling, serving the dashboard once…');
  const agent = await startAgent(reg.host, NAMES, (fn) => cleanups.push(fn));
  delete process.env.DENSITY_AGENT_NODE_FLAGS;
  cleanups.push(() => agent.close());
  await exerciseAgent(agent, image);

  let also: Agent | undefined;
  if (ALSO) {
    console.log(`${ALSO}: starting its agent, pulling, serving the dashboard once…`);
    also = await startAgent(reg.host, ALSO_NAMES, (fn) => cleanups.push(fn), { skiff: `${ALSO}/skiff` });
    cleanups.push(() => also!.close());
    await exerciseAgent(also, image);
  }

  console.log("docker: starting Debian's containerd and dockerd, pulling…");
  const docker = await startDockerd((fn) => cleanups.push(fn));
  docker.docker(['pull', '-q', image]);
  docker.docker(['ps', '-a']);
  docker.docker(['images']);

  console.log(`settling ${SETTLE_S} s, then ${SAMPLES} samples 2 s apart…`);
  await sleep(SETTLE_S * 1000);
  const sets: Record<string, number[]> = {
    skiff: [agent.proc.pid!],
    dockerd: [docker.pids.dockerd],
    containerd: [docker.pids.containerd],
    docker: [docker.pids.dockerd, docker.pids.containerd],
  };
  if (also) sets.also = [also.proc.pid!];
  const samples: Record<string, (Kb & { procs: number })[]> = Object.fromEntries(Object.keys(sets).map((k) => [k, []]));
  for (let i = 0; i < SAMPLES; i++) {
    for (const [k, pids] of Object.entries(sets)) samples[k]!.push(sample(pids));
    if (i < SAMPLES - 1) await sleep(2000);
  }
  const med = (k: string): Kb & { procs: number } => {
    const s = samples[k]!;
    return { rss: median(s.map((x) => x.rss)), pss: median(s.map((x) => x.pss)), uss: median(s.map((x) => x.uss)), procs: median(s.map((x) => x.procs)) };
  };
  const d = med('docker');
  const row = (label: string, m: Kb & { procs: number }): Row => ({
    label,
    value: mib(m.rss),
    unit: 'MiB RSS',
    extra: {
      'PSS MiB': mib(m.pss),
      'USS MiB': mib(m.uss),
      processes: m.procs,
      'RSS x docker': m.rss / d.rss,
      'PSS x docker': m.pss / d.pss,
      'USS x docker': m.uss / d.uss,
    },
  });
  const rows: Row[] = [row('skiff: agent, dashboard included', med('skiff'))];
  if (also) rows.push(row(ALSO_LABEL, med('also')));
  rows.push(row('docker: dockerd + containerd', d), row('dockerd', med('dockerd')), row('containerd', med('containerd')));

  const notes = [
    `same run, same host; each pulled ${image} and runs no container; median of ${SAMPLES} samples after ${SETTLE_S} s idle`,
    "dockerd runs without its default bridge and iptables rules (the host's networking is not the bench's to change); containerd with Debian's config (CRI plugin on)",
  ];
  const where = [...smapsByMapping(agent.proc.pid!)].sort((a, b) => b[1].rss - a[1].rss);
  notes.push(
    `skiff agent by mapping (RSS / PSS / USS MiB): ${where
      .filter(([, m]) => m.rss >= 512)
      .map(([g, m]) => `${g} ${mib(m.rss).toFixed(1)} / ${mib(m.pss).toFixed(1)} / ${mib(m.uss).toFixed(1)}`)
      .join('; ')}`,
  );
  if (V8) notes.push(...(await v8Breakdown(agent.proc.pid!, inspectPort)));
  report({ name: 'idle-memory', title: 'Idle memory: Skiff (agent + dashboard) vs dockerd + containerd', rows, notes });
}

main()
  .catch((e: Error) => {
    console.error(e.stack ?? e.message);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
