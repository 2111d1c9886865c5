/**
 * Start latency: `run <busybox> true` to exit, Skiff vs crun and runc on an OCI bundle of
 * the same root filesystem, all measured in this run on this host. Prints medians and
 * ratios. Usage (root): npx tsx bench/start-latency.mts [runs]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../packages/runtime/src/runtime.js';
import { fixtureRegistry, stopFixtureRegistry } from '../packages/runtime/test/fixtures/index.js';

const RUNS = Number(process.argv[2] ?? 30);

function ensurePeers(): void {
  const missing = ['crun', 'runc'].filter((b) => spawnSync('which', [b]).status !== 0);
  if (!missing.length) return;
  execFileSync('apt-get', ['update', '-qq']);
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

ensurePeers();
const reg = await fixtureRegistry();
const image = `${reg.host}/skiff-test/busybox:latest`;
const root = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
const rt = await createRuntime({ root, insecureRegistries: [reg.host], cgroupParent: 'skiff-bench', bridgeName: 'skbench0', nftTable: 'skiff_bench' });
const img = await rt.images.pull(image);

// the same root filesystem as an OCI bundle for crun and runc
const bundle = mkdtempSync(join(tmpdir(), 'skiff-bundle-'));
cpSync((await rt.images.layerDirs(img.id))[0]!, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
execFileSync('runc', ['spec'], { cwd: bundle });
const spec = JSON.parse(execFileSync('cat', [join(bundle, 'config.json')], { encoding: 'utf8' }));
spec.process.args = ['true'];
spec.process.terminal = false;
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

// a peer that cannot run on this host (crun refuses cgroup v1+v2 hybrid hosts) is reported, not measured
const peers = ['crun', 'runc'].filter((peer) => {
  const r = spawnSync(peer, ['run', '--bundle', bundle, `bench-probe-${peer}`], { encoding: 'utf8' });
  if (r.status !== 0) console.log(`note: ${peer} cannot run here: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.status === 0;
});
const results: Record<string, number[]> = {};
const record = (name: string, ms: number) => (results[name] ??= []).push(ms);

for (let i = 0; i < RUNS; i++) {
  for (const peer of peers) {
    record(`${peer} run`, await time(() => {
      const r = spawnSync(peer, ['run', '--bundle', bundle, `bench-${peer}-${i}`], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${peer} run failed`);
    }));
  }
  record('skiff runtime API, --network none', await time(async () => {
    const { id } = await rt.containers.run({ image, cmd: ['true'], network: 'none' });
    await rt.containers.wait(id);
    await rt.containers.remove(id);
  }));
  record('skiff runtime API, bridge network', await time(async () => {
    const { id } = await rt.containers.run({ image, cmd: ['true'] });
    await rt.containers.wait(id);
    await rt.containers.remove(id);
  }));
}

const baseName = peers.includes('crun') ? 'crun run' : 'runc run';
const base = median(results[baseName]!);
const rows = Object.entries(results).map(([name, xs]) => ({ name, median: median(xs), p90: p90(xs), ratio: median(xs) / base }));
console.log(`start latency, ${RUNS} runs each (run to exit of \`true\`), ${new Date().toISOString()}`);
console.log(`| command | median ms | p90 ms | × ${baseName.split(' ')[0]} |`);
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.ratio.toFixed(2)} |`);

await rt.networks.destroyAll();
await rt.close();
await stopFixtureRegistry();
rmSync(root, { recursive: true, force: true });
rmSync(bundle, { recursive: true, force: true });
for (const c of ['memory', 'cpu', 'cpuacct', 'pids', 'freezer', 'blkio', 'cpuset', 'devices']) if (existsSync(`/sys/fs/cgroup/${c}/skiff-bench`)) spawnSync('rmdir', [`/sys/fs/cgroup/${c}/skiff-bench`]);
process.exit(0);
