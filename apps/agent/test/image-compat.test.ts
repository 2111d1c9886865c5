import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

// Issue 24's image items as the real docker CLI, skopeo and the skiff CLI see them:
// system df counts each layer once, imported layers reach a registry gzipped with stable
// digests, intermediates are hidden and go with their image, image inspect is Docker's shape.

let agent: AgentHarness;
let registry: string;
let image: string;
const tag = randomBytes(3).toString('hex');
const { docker, ok, api } = dockerClient(() => agent);

useDockerAgent((ctx) => ({ agent, registry, image } = ctx));

function context(name: string, dockerfile: string): string {
  const dir = join(agent.dir, `${name}-${tag}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

const skiff = (args: string[]) => {
  const r = agent.cli(args);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

/** Go's units.HumanSize (4 significant digits, decimal units) back to bytes */
function goSize(s: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB)$/.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  return Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B'];
}

interface DfImage {
  Id: string;
  RepoTags: string[];
  Size: number;
  SharedSize: number;
  Containers: number;
}

describe('system df', () => {
  it('counts each layer once: two images on one base built here share it', async () => {
    const base = `df-base-${tag}:1`;
    const [a, b] = [`df-a-${tag}:1`, `df-b-${tag}:1`];
    ok(['build', '-q', '-t', base, context('df-base', `FROM ${image}\nRUN head -c 3000000 /dev/urandom > /base.bin\n`)]);
    ok(['build', '-q', '-t', a, context('df-a', `FROM ${base}\nRUN head -c 200000 /dev/urandom > /a.bin\n`)]);
    ok(['build', '-q', '-t', b, context('df-b', `FROM ${base}\nRUN head -c 400000 /dev/urandom > /b.bin\n`)]);
    try {
      const df = JSON.parse((await api('GET', '/system/df')).body) as { LayersSize: number; Images: DfImage[] };
      // the distinct layers, from each listed image's history (its layers' sizes) and diffIDs
      const layerBytes = new Map<string, number>();
      for (const i of df.Images) {
        const diffIDs = JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', i.Id])) as string[];
        // history, oldest first: one non-empty entry per layer, with that layer's bytes
        const sizes = skiff(['history', '--format', 'json', i.Id])
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { size: number; emptyLayer: boolean })
          .reverse()
          .filter((h) => !h.emptyLayer);
        expect(sizes).toHaveLength(diffIDs.length);
        let chain = '';
        diffIDs.forEach((d, n) => {
          chain += `${d}|`;
          layerBytes.set(chain, sizes[n]!.size);
        });
      }
      const distinct = [...layerBytes.values()].reduce((x, y) => x + y, 0);
      expect(df.LayersSize).toBe(distinct);
      const byTag = (t: string) => df.Images.find((i) => i.RepoTags.includes(t))!;
      const [iBase, iA, iB] = [byTag(base), byTag(a), byTag(b)];
      // the base's bytes are in all three: counted once in the total, shared in each image
      expect(iA.SharedSize).toBe(iBase.Size);
      expect(iB.SharedSize).toBe(iBase.Size);
      expect(iBase.SharedSize).toBe(iBase.Size);
      expect(iA.Size - iA.SharedSize).toBeGreaterThanOrEqual(200_000);
      expect(iB.Size - iB.SharedSize).toBeGreaterThanOrEqual(400_000);
      expect(df.Images.reduce((x, i) => x + i.Size, 0)).toBeGreaterThan(df.LayersSize + 2 * 3_000_000);

      // the real docker CLI's table: Images SIZE is LayersSize, not the sum of image sizes
      const row = ok(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Size}}'])
        .split('\n')
        .find((l) => l.startsWith('Images|'))!;
      const [, count, size] = row.split('|');
      expect(Number(count)).toBe(df.Images.length);
      expect(Math.abs(goSize(size!) - df.LayersSize) / df.LayersSize).toBeLessThan(0.001);
      // -v: REPOSITORY TAG IMAGE ID CREATED SIZE SHARED SIZE UNIQUE SIZE CONTAINERS, columns 2+ spaces apart
      const verbose = ok(['system', 'df', '-v'])
        .split('\n')
        .map((l) => l.split(/\s{2,}/));
      const vA = verbose.find((r) => r[0] === `df-a-${tag}` && r[1] === '1')!;
      expect(Math.abs(goSize(vA[5]!) - iBase.Size) / iBase.Size).toBeLessThan(0.001);
      expect(Math.abs(goSize(vA[6]!) - (iA.Size - iA.SharedSize)) / (iA.Size - iA.SharedSize)).toBeLessThan(0.001);

      // skiff's table and its json rows, the same numbers as docker's
      const rows = skiff(['system', 'df', '--format', 'json'])
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { Type: string; TotalCount: string; Size: string });
      const images = rows.find((r) => r.Type === 'Images')!;
      expect(Number(images.TotalCount)).toBe(df.Images.length);
      expect(Math.abs(goSize(images.Size) - df.LayersSize) / df.LayersSize).toBeLessThan(0.001);
      expect(skiff(['system', 'df'])).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+\d+\s+\d+\s+\S+\s+\S+ \(\d+%\)\n/);
      expect(skiff(['system', 'df', '-v'])).toMatch(new RegExp(`^df-a-${tag}\\s+1\\s+\\w{12}\\s+.+\\s+\\S+\\s+\\S+\\s+\\S+\\s+0$`, 'm'));
    } finally {
      docker(['rmi', a, b, base]);
    }
  });
});

describe('intermediate images', () => {
  it('images hides build steps unless -a; rmi takes the untagged parents; the next build still works', async () => {
    const final = `steps-${tag}:1`;
    const dockerfile = `FROM ${image}\nENV STEP=one\nRUN echo two > /two\nLABEL step=three\nRUN echo four > /four\n`;
    const dir = context('steps', dockerfile);
    const id = ok(['build', '-q', '-t', final, dir]).trim();
    const all = JSON.parse((await api('GET', '/images/json?all=1')).body) as { Id: string; ParentId: string; RepoTags: string[] }[];
    // the chain from the final image down to busybox through ParentId: four steps
    const chain: string[] = [];
    for (let at = all.find((i) => i.Id === id); at?.ParentId; at = all.find((i) => i.Id === at!.ParentId)) chain.push(at.ParentId);
    const busybox = ok(['image', 'inspect', '-f', '{{.Id}}', image]).trim();
    expect(chain).toHaveLength(4);
    expect(chain.at(-1)).toBe(busybox);
    const intermediates = chain.slice(0, 3);

    const listed = ok(['images', '-q', '--no-trunc']).trim().split('\n');
    expect(listed).toContain(id);
    for (const i of intermediates) expect(listed).not.toContain(i);
    const listedAll = ok(['images', '-a', '-q', '--no-trunc']).trim().split('\n');
    for (const i of [id, ...intermediates]) expect(listedAll).toContain(i);
    expect(ok(['images', '-a']).match(/<none>\s+<none>/g)?.length).toBeGreaterThanOrEqual(3);
    // skiff's CLI over tRPC: the same
    expect(skiff(['images', '-q', '--no-trunc']).trim().split('\n')).not.toContain(intermediates[0]);
    expect(skiff(['images', '-a', '-q', '--no-trunc']).trim().split('\n')).toEqual(expect.arrayContaining(intermediates));
    // an intermediate is a parent: by id it is refused, as dockerd does
    expect(docker(['rmi', intermediates[0]!])).toMatchObject({ code: 1, stderr: expect.stringContaining('image has dependent child images') });
    // a dangling prune leaves a named image's steps: they are its build cache
    ok(['image', 'prune', '-f']);
    expect(ok(['images', '-a', '-q', '--no-trunc']).trim().split('\n')).toEqual(expect.arrayContaining(intermediates));
    // a second tag on the same build shares the steps; the cache gives the same image
    expect(ok(['build', '-q', '-t', `${final}-again`, dir]).trim()).toBe(id);
    expect(docker(['rmi', `${final}-again`]).stdout).toBe(`Untagged: ${final}-again\n`);

    const removed = ok(['rmi', final]);
    expect(removed).toContain(`Untagged: ${final}\n`);
    for (const i of [id, ...intermediates]) expect(removed).toContain(`Deleted: ${i}\n`);
    const left = ok(['images', '-a', '-q', '--no-trunc']).trim().split('\n');
    for (const i of [id, ...intermediates]) expect(left).not.toContain(i);
    expect(left).toContain(busybox);

    // the build runs again (no cache left), steps and all
    const rebuilt = docker(['build', '-t', final, dir]);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).not.toContain('Using cache');
    expect(ok(['run', '--rm', final, 'cat', '/two', '/four'])).toBe('two\nfour\n');
    // skiff rmi does the same
    const viaSkiff = skiff(['rmi', final]);
    expect(viaSkiff.match(/^Deleted: /gm)?.length).toBeGreaterThanOrEqual(5);
    expect(skiff(['images', '-a', '-q']).trim().split('\n').filter(Boolean)).toEqual([busybox.slice(7, 19)]);
  });
});

describe('push of an imported image', () => {
  it('sends gzip layers, the same digests every push, which skopeo reads and the pulled image runs', () => {
    const ctr = `imp-src-${tag}`;
    const tarball = join(agent.dir, `rootfs-${tag}.tar`);
    ok(['create', '--name', ctr, image, 'true']);
    try {
      ok(['export', '-o', tarball, ctr]);
    } finally {
      docker(['rm', ctr]);
    }
    const target = `${registry}/skiff-test/imported-${tag}:v1`;
    skiff(['import', '-c', 'CMD ["echo","from import"]', tarball, target]);
    const digestOf = (out: string) => /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    const first = digestOf(skiff(['push', target]));
    expect(first).toBeDefined();
    const skopeo = (...args: string[]) => execFileSync('skopeo', [...args, '--tls-verify=false', `docker://${target}`], { encoding: 'utf8' });
    const manifest = JSON.parse(skopeo('inspect', '--raw')) as { layers: { mediaType: string; digest: string; size: number }[] };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
    const plainSize = readFileSync(tarball).length;
    expect(manifest.layers[0]!.size).toBeLessThan(plainSize / 1.5);

    // pushed again (and under a second name): the same manifest, the same layer
    expect(digestOf(skiff(['push', target]))).toBe(first);
    const second = `${registry}/skiff-test/imported-${tag}:v2`;
    skiff(['tag', target, second]);
    expect(digestOf(skiff(['push', second]))).toBe(first);
    // the image kept its id; its inspect shows the compressed layer is the same diffID
    const config = JSON.parse(skopeo('inspect', '--config')) as { rootfs: { diff_ids: string[] } };
    expect(JSON.parse(skiff(['inspect', '-f', '{{json .RootFS.Layers}}', target]))).toEqual(config.rootfs.diff_ids);

    // skopeo copy checks every blob against its digest
    const out = mkdtempSync(join(agent.dir, 'skopeo-'));
    expect(spawnSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${target}`, `dir:${out}`]).status).toBe(0);
    // pulled back after removal, it runs
    skiff(['rmi', target, second]);
    expect(docker(['run', '--rm', target]).stdout).toBe('from import\n');
    docker(['rmi', target]);
  });
});

describe('skiff push --compression zstd', () => {
  it('sends an imported image with tar+zstd layers, the same digest twice, and it pulls back and runs', async () => {
    const ctr = `zst-src-${tag}`;
    const tarball = join(agent.dir, `rootfs-zstd-${tag}.tar`);
    ok(['create', '--name', ctr, image, 'true']);
    try {
      ok(['export', '-o', tarball, ctr]);
    } finally {
      docker(['rm', ctr]);
    }
    const target = `${registry}/skiff-test/imported-zstd-${tag}:v1`;
    skiff(['import', '-c', 'CMD ["echo","from zstd"]', tarball, target]);
    const bad = agent.cli(['push', '--compression', 'brotli', target]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be gzip or zstd');
    expect(skiff(['push', '--help'])).toMatch(/--compression string\s+Compression of uncompressed layers/);

    const digestOf = (out: string) => /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    const first = digestOf(skiff(['push', '--compression', 'zstd', target]));
    expect(first).toBeDefined();
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${target}`], { encoding: 'utf8' })) as {
      layers: { mediaType: string }[];
    };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+zstd']);
    expect(digestOf(skiff(['push', '--compression', 'zstd', target]))).toBe(first);
    // the Docker API's Skiff-only parameter: the same image, the same digest; a bad value is a 400
    const repo = `${registry}/skiff-test/imported-zstd-${tag}`;
    const viaApi = await api('POST', `/images/${repo}/push?tag=v1&compression=zstd`);
    expect(viaApi.body).toContain(`"Digest":"${first}"`);
    expect((await api('POST', `/images/${repo}/push?tag=v1&compression=lz4`)).status).toBe(400);
    // pulled back after removal (decoding the zstd layer), it runs
    skiff(['rmi', target]);
    expect(docker(['run', '--rm', target]).stdout).toBe('from zstd\n');
    docker(['rmi', target]);
  });
});

describe('skiff inspect IMAGE', () => {
  it("prints the Docker API's shape, as docker image inspect does", () => {
    const mine = JSON.parse(skiff(['inspect', image])) as Record<string, unknown>[];
    const theirs = JSON.parse(ok(['image', 'inspect', image])) as Record<string, unknown>[];
    expect(mine).toHaveLength(1);
    for (const k of ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Created', 'Config', 'Architecture', 'Os', 'Size', 'RootFS'])
      expect(mine[0]![k]).toEqual(theirs[0]![k]);
    expect(mine[0]).not.toHaveProperty('repoTags');
    // a Go template prints a list as Go does ("[sh]"), as the docker CLI does
    expect(skiff(['inspect', '-f', '{{.Config.Cmd}}', '--type', 'image', image])).toBe(ok(['image', 'inspect', '-f', '{{.Config.Cmd}}', image]));
  });
});
