/**
 * Pull and unpack: a deterministic 5-layer image (~33k small files, hard links, symlinks,
 * multi-MB files, whiteouts; see lib/layered-image.mts) in a loopback registry (Debian's
 * docker-registry), pulled cold by
 *   - Skiff's runtime API (`rt.images.pull`: download, verify, unpack every layer),
 *   - `skopeo copy docker://… oci:DIR:tag` + `umoci unpack --image DIR:tag BUNDLE`,
 *   - `podman pull`,
 * once with gzip layers and once with zstd layers. Every run starts with nothing of the
 * image stored (image, layers and blobs removed, `sync` so no tool inherits another's
 * writeback); the registry's files stay in the page cache for all tools alike.
 * Usage (root): npx tsx bench/pull.mts [runs] [--scale 0.2] [--only skiff,peers] [--variant gzip|zstd]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRuntime } from '../packages/runtime/src/runtime.js';
import { MEDIA, RegistryClient } from '../packages/runtime/src/image/registry-client.js';
import { buildImage, pushImage, type BuiltLayer, startRegistry, removeCgroupParent } from '@skiff/test-fixtures';
import { compressLayer, layeredImage } from './lib/layered-image.mts';
import { ensureDebian, podman } from './lib/peers.mts';
import { median, percentile, report, timeMs, type Row } from './lib/report.mts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { scale: { type: 'string', default: '1' }, only: { type: 'string' }, variant: { type: 'string' } },
});
const RUNS = Number(positionals[0] ?? 5);
const SCALE = Number(flags.scale);
const ONLY = new Set((flags.only ?? 'skiff,peers').split(','));
const VARIANTS = (flags.variant ? [flags.variant] : ['gzip', 'zstd']) as ('gzip' | 'zstd')[];

ensureDebian({ skopeo: 'skopeo', umoci: 'umoci', zstd: 'zstd', 'docker-registry': 'docker-registry' });

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-pull-'));
const reg = await startRegistry();
const pm = ONLY.has('peers') ? podman() : undefined;
const rt = await createRuntime({
  root: join(work, 'skiff'),
  insecureRegistries: [reg.host],
  cgroupParent: 'skiff-b-pull',
  bridgeName: 'skbpull0',
  nftTable: 'skiff_b_pull',
});

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
};

try {
  // ---- the image ---------------------------------------------------------------------------
  const t0 = Date.now();
  const tars = await layeredImage({ seed: 9, scale: SCALE });
  const tarBytes = tars.reduce((a, l) => a + l.tar.length, 0);
  const files = tars.reduce((a, l) => a + l.files, 0);
  const client = new RegistryClient({ registry: reg.host, insecure: true });
  const refs: Record<string, string> = {};
  const blobBytes: Record<string, number> = {};
  for (const variant of VARIANTS) {
    const layers: BuiltLayer[] = tars.map((l) => {
      const blob = compressLayer(l.tar, variant);
      return { blob, digest: `sha256:${sha256hex(blob)}`, diffID: l.diffID, mediaType: variant === 'gzip' ? MEDIA.ociLayerGzip : MEDIA.ociLayerZstd };
    });
    await pushImage(client, 'bench/layered', variant, buildImage(layers, { Cmd: ['/bin/sh'] }));
    refs[variant] = `${reg.host}/bench/layered:${variant}`;
    blobBytes[variant] = layers.reduce((a, l) => a + l.blob.length, 0);
  }
  console.log(
    `image: ${tars.length} layers, ${files} files, ${(tarBytes / 1e6).toFixed(0)} MB of tar; ` +
      VARIANTS.map((v) => `${v} ${(blobBytes[v]! / 1e6).toFixed(0)} MB`).join(', ') +
      ` (built and pushed in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  // ---- the tools ---------------------------------------------------------------------------
  interface Tool {
    name: string;
    pull(ref: string, tag: string): Promise<void> | void;
    clean(ref: string): Promise<void> | void;
  }
  const ociDir = join(work, 'oci');
  const bundle = join(work, 'bundle');
  let progressEvents = 0;
  const tools: Tool[] = [];
  if (ONLY.has('skiff')) {
    tools.push({
      name: 'skiff runtime API',
      async pull(ref) {
        progressEvents = 0;
        const t0 = performance.now();
        // the agent's images.pull streams exactly these events to the client; PULL_TRACE=1 prints them with times
        await rt.images.pull(ref, {
          onProgress: (p) => {
            progressEvents++;
            if (process.env.PULL_TRACE && p.status !== 'downloading')
              console.log(`${(performance.now() - t0).toFixed(0).padStart(6)} ms ${p.id.slice(0, 19)} ${p.status}`);
          },
        });
      },
      async clean(ref) {
        // after a failed pull there may be no image to remove, only its layers and blobs
        if (
          !(await rt.images.remove(ref, { force: true }).then(
            () => true,
            () => false,
          ))
        )
          return;
        const left = readdirSync(join(work, 'skiff', 'layers')).length + readdirSync(join(work, 'skiff', 'blobs', 'sha256')).length;
        if (left) throw new Error(`skiff left ${left} layers/blobs behind after rmi`);
      },
    });
  }
  if (pm) {
    tools.push({
      name: 'skopeo copy + umoci unpack',
      pull(ref, tag) {
        sh('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${ociDir}:${tag}`]);
        sh('umoci', ['unpack', '--image', `${ociDir}:${tag}`, bundle]);
      },
      clean() {
        rmSync(ociDir, { recursive: true, force: true });
        rmSync(bundle, { recursive: true, force: true });
      },
    });
    tools.push({
      name: 'podman pull',
      pull(ref) {
        execFileSync(pm.argv[0]!, [...pm.argv.slice(1), 'pull', '-q', '--tls-verify=false', ref], { stdio: ['ignore', 'ignore', 'pipe'] });
      },
      clean(ref) {
        execFileSync(pm.argv[0]!, [...pm.argv.slice(1), 'rmi', '-f', ref], { stdio: 'ignore' });
      },
    });
  }

  // ---- measure -------------------------------------------------------------------------------
  const times: Record<string, number[]> = {};
  const failed: Record<string, string> = {};
  for (const variant of VARIANTS) {
    // one untimed round first: registry, page cache and each tool's own start-up state warm
    for (let run = -1; run < RUNS; run++) {
      // rotate the order so no tool always runs right after the same other one
      const order = tools.map((_, i) => tools[(i + Math.max(run, 0)) % tools.length]!);
      for (const tool of order) {
        const key = `${tool.name}, ${variant}`;
        if (failed[key]) continue;
        sh('sync', []);
        try {
          const ms = await timeMs(() => tool.pull(refs[variant]!, variant));
          if (run >= 0) (times[key] ??= []).push(ms);
        } catch (e) {
          failed[key] = (e as Error).message;
          console.log(`note: ${key} failed: ${failed[key]}`);
        } finally {
          await tool.clean(refs[variant]!);
        }
      }
      if (run >= 0) process.stdout.write(`${variant} run ${run + 1}/${RUNS}\r`);
    }
  }

  const rows: Row[] = [];
  for (const variant of VARIANTS) {
    const base = times[`skopeo copy + umoci unpack, ${variant}`];
    for (const tool of tools) {
      const xs = times[`${tool.name}, ${variant}`];
      if (!xs) continue;
      const m = median(xs) / 1000;
      rows.push({
        label: `${tool.name}, ${variant}`,
        value: m,
        unit: 's',
        extra: { p90: percentile(xs, 90) / 1000, 'MB/s (tar)': tarBytes / 1e6 / m, ...(base ? { 'x skopeo+umoci': median(xs) / median(base) } : {}) },
      });
    }
  }
  report({
    name: 'pull',
    title: `Pull + unpack, ${tars.length} layers, ${files} files, ${(tarBytes / 1e6).toFixed(0)} MB of tar, median of ${RUNS} cold runs`,
    rows,
    notes: [
      ...Object.entries(failed).map(([k, v]) => `${k}: ${v}`),
      `skiff emitted ${progressEvents} progress events per pull (what the agent streams to the client)`,
    ],
  });
} finally {
  pm?.dispose();
  await rt.networks.destroyAll().catch(() => {});
  await rt.close();
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
  await removeCgroupParent('skiff-b-pull');
}

function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
process.exit(0);
