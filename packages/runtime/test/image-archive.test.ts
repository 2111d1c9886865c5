import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgument, NotFound } from '../src/errors.js';
import { ImageStore } from '../src/image/image-store.js';
import { fixtureRegistry, stopFixtureRegistry, tarOf, type Entry, type Fixtures } from '@skiff/test-fixtures';
import { runCollect, TestRuntime } from './helpers.js';

let host: string;
let fixtures: Fixtures;
let busybox: string;
let layered: string;
let work: string;
let source: ImageStore;
let t: TestRuntime | undefined;
const roots: string[] = [];

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function freshStore(): Promise<{ store: ImageStore; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-arc-'));
  roots.push(root);
  return { store: await ImageStore.open({ root, insecureRegistries: [host] }), root };
}

async function saveTo(store: ImageStore, refs: string[], file: string): Promise<Buffer> {
  await pipeline(store.save(refs), createWriteStream(file));
  return readFileSync(file);
}

/** every entry of a (small) tar, in order */
async function entriesOf(archive: Buffer): Promise<{ name: string; type: string; content: Buffer; linkname?: string }[]> {
  const out: { name: string; type: string; content: Buffer; linkname?: string }[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      out.push({ name: h.name, type: h.type ?? 'file', content: Buffer.concat(chunks), linkname: h.linkname ?? undefined });
      next();
    });
  });
  await pipeline(Readable.from([archive]), extract);
  return out;
}

const toEntries = (list: Awaited<ReturnType<typeof entriesOf>>): Entry[] =>
  list.map((e) => ({ name: e.name, type: e.type as Entry['type'], content: e.type === 'file' ? e.content : undefined, linkname: e.linkname }));

/** images, blobs, layers and tmp of a store root: what a refused load must leave as it was */
function snapshot(root: string, store: ImageStore): Promise<unknown> {
  return store.list().then((images) => ({
    images,
    blobs: readdirSync(join(root, 'blobs/sha256')).sort(),
    layers: readdirSync(join(root, 'layers')).sort(),
    tmp: readdirSync(join(root, 'tmp')),
  }));
}

beforeAll(async () => {
  const reg = await fixtureRegistry();
  host = reg.host;
  fixtures = reg.fixtures;
  busybox = `${host}/skiff-test/busybox:latest`;
  layered = `${host}/skiff-test/layers:latest`;
  work = await mkdtemp(join(tmpdir(), 'skiff-arc-work-'));
  ({ store: source } = await freshStore());
  await source.pull(busybox);
  await source.pull(layered);
}, 120_000);

afterAll(async () => {
  await t?.dispose().catch((e: unknown) => console.warn(`test cleanup: disposing the test runtime: ${(e as Error).message}`));
  await stopFixtureRegistry();
  for (const r of [...roots, work]) await rm(r, { recursive: true, force: true });
}, 60_000);

describe('image save', () => {
  it('writes one tar that is a docker-archive and an OCI layout, blobs stored once', async () => {
    const archive = await saveTo(source, [busybox, layered], join(work, 'both.tar'));
    const entries = await entriesOf(archive);
    const names = entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['manifest.json', 'index.json', 'oci-layout', 'repositories']));
    expect(new Set(names).size).toBe(names.length); // the shared busybox layer is there once
    const files = new Map(entries.map((e) => [e.name, e.content]));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest.map((m) => m.RepoTags)).toEqual([[busybox], [layered]]);
    expect(manifest[0]!.Config).toBe(`blobs/sha256/${fixtures.busybox.configDigest.slice(7)}`);
    // every blob is named by its content; layers are uncompressed, their digest is the diffID
    for (const [name, content] of files) if (name.startsWith('blobs/sha256/')) expect(sha(content)).toBe(`sha256:${name.slice(13)}`);
    expect(manifest[0]!.Layers).toEqual([`blobs/sha256/${fixtures.busybox.layers[0]!.diffID.slice(7)}`]);
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.annotations)).toEqual([
      { 'io.containerd.image.name': busybox, 'org.opencontainers.image.ref.name': 'latest' },
      { 'io.containerd.image.name': layered, 'org.opencontainers.image.ref.name': 'latest' },
    ]);
    expect(JSON.parse(files.get('oci-layout')!.toString())).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  it('refuses unknown images before streaming', async () => {
    expect(() => source.save(['nope/none:1'])).toThrow(NotFound);
    expect(() => source.save([])).toThrow(InvalidArgument);
  });

  it('skopeo reads it as docker-archive and as oci-archive, with the same digests', async () => {
    const file = join(work, 'busybox.tar');
    await saveTo(source, [busybox], file);
    const diffIDs = (await source.inspect(busybox)).rootFS.diffIDs;
    const asDocker = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${file}`], { encoding: 'utf8' })) as {
      Layers: string[];
      RepoTags: string[];
    };
    const asOci = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${file}:latest`], { encoding: 'utf8' })) as { Layers: string[]; Digest: string };
    expect(asDocker.Layers).toEqual(diffIDs);
    expect(asOci.Layers).toEqual(diffIDs);
    const cfgDocker = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', `docker-archive:${file}`], { encoding: 'utf8' }));
    const cfgOci = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', `oci-archive:${file}:latest`], { encoding: 'utf8' }));
    expect(cfgOci).toEqual(cfgDocker);
    // a full copy makes skopeo verify every blob against its digest
    const dir = join(work, 'copied');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${file}:latest`, `dir:${dir}`]);
    expect(readdirSync(dir)).toContain(fixtures.busybox.configDigest.slice(7));
  }, 60_000);
});

describe('image load', () => {
  it('round-trips on a clean root: same ids, tags and layers; the image runs; saving again gives the same bytes', async () => {
    const file = join(work, 'roundtrip.tar');
    const first = await saveTo(source, [busybox, layered], file);
    t = await TestRuntime.create([host]);
    const loaded = await t.rt.images.load(createReadStream(file));
    expect(loaded.loaded).toEqual([busybox, layered]);
    for (const ref of [busybox, layered]) {
      const a = await source.inspect(ref);
      const b = await t.rt.images.inspect(ref);
      expect(b).toMatchObject({ id: a.id, repoTags: [ref], rootFS: a.rootFS, config: a.config, size: a.size });
    }
    const again = await saveTo(t.imageStore, [busybox, layered], join(work, 'again.tar'));
    expect(sha(again)).toBe(sha(first));
    const run = await runCollect(t.rt, { image: busybox, cmd: ['sh', '-c', 'echo loaded; id -un'], autoRemove: true });
    expect(run).toMatchObject({ code: 0, stdout: 'loaded\nroot\n' });
    // the whiteouts and the zstd layer of the layered image came through
    const ls = await runCollect(t.rt, { image: layered, cmd: ['sh', '-c', 'ls /'], autoRemove: true });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('bin');
  }, 120_000);

  it('loads an OCI archive written by skopeo from the registry (real peer)', async () => {
    const named = join(work, 'skopeo-named.tar');
    const bare = join(work, 'skopeo-bare.tar');
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${busybox}`, `oci-archive:${named}:skiff-test/peer:v1`]);
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${busybox}`, `oci-archive:${bare}`]);
    const { store } = await freshStore();
    expect(await store.load(createReadStream(named))).toEqual({ loaded: ['skiff-test/peer:v1'] });
    const img = await store.inspect('skiff-test/peer:v1');
    expect(img.id).toBe(fixtures.busybox.configDigest);
    expect(img.layers[0]!.digest).toBe(fixtures.busybox.layers[0]!.digest); // gzip layer kept as is
    // no name in the layout: loaded as an unnamed image, like docker load
    const { store: other } = await freshStore();
    expect(await other.load(createReadStream(bare))).toEqual({ loaded: [fixtures.busybox.configDigest] });
  }, 60_000);

  it('loads the old docker-archive layout (<id>/layer.tar, <id>.json, symlinked layers)', async () => {
    const layer = fixtures.busybox.layers[0]!;
    const cfgHex = fixtures.busybox.configDigest.slice(7);
    const archive = await tarOf([
      { name: 'aaaa', type: 'directory' },
      { name: 'aaaa/layer.tar', content: gunzipSync(layer.blob) },
      { name: 'aaaa/VERSION', content: '1.0' },
      { name: 'bbbb', type: 'directory' },
      { name: 'bbbb/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' },
      { name: `${cfgHex}.json`, content: fixtures.busybox.config },
      { name: 'manifest.json', content: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['old/format:1'], Layers: ['bbbb/layer.tar'] }]) },
      { name: 'repositories', content: JSON.stringify({ 'old/format': { 1: 'aaaa' } }) },
    ]);
    const { store } = await freshStore();
    // gzip-compressed archives load too
    expect(await store.load(Readable.from([gzipSync(archive)]))).toEqual({ loaded: ['old/format:1'] });
    expect((await store.inspect('old/format:1')).id).toBe(fixtures.busybox.configDigest);
  });

  describe('refuses hostile or broken archives and leaves the store unchanged', () => {
    let store: ImageStore;
    let root: string;
    let good: Awaited<ReturnType<typeof entriesOf>>;
    let before: unknown;

    beforeAll(async () => {
      ({ store, root } = await freshStore());
      await store.pull(busybox);
      good = await entriesOf(await saveTo(source, [layered], join(work, 'layered.tar')));
      before = await snapshot(root, store);
    }, 60_000);

    const refused = async (archive: Buffer, message: RegExp) => {
      const err = await store.load(Readable.from([archive])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgument);
      expect((err as Error).message).toMatch(message);
      expect(await snapshot(root, store)).toEqual(before);
    };

    it('../ and absolute entries, symlinks out of the archive', async () => {
      await refused(await tarOf([...toEntries(good), { name: '../evil', content: 'x' }]), /"\.\.\/evil" contains "\.\."/);
      await refused(await tarOf([{ name: '/etc/evil', content: 'x' }, ...toEntries(good)]), /absolute path/);
      const manifest = good.find((e) => e.name === 'manifest.json')!;
      const escaping = toEntries(good).filter((e) => e.name !== 'manifest.json');
      await refused(
        await tarOf([...escaping, { name: 'manifest.json', type: 'symlink', linkname: '../../../etc/passwd' }]),
        /symlink to "..\/..\/..\/etc\/passwd", outside the archive/,
      );
      await refused(await tarOf([...escaping, { name: 'manifest.json', type: 'symlink', linkname: '/etc/passwd' }]), /symlink to the absolute path/);
      expect(manifest).toBeDefined();
    });

    it('a blob that does not match its digest', async () => {
      const manifest = JSON.parse(good.find((e) => e.name === 'manifest.json')!.content.toString()) as { Layers: string[] }[];
      const victim = manifest[0]!.Layers[1]!; // the zstd layer (stored uncompressed in the archive)
      const tampered = toEntries(good).map((e) => (e.name === victim ? { ...e, content: Buffer.concat([e.content as Buffer, Buffer.alloc(512)]) } : e));
      await refused(await tarOf(tampered), new RegExp(`digest mismatch: ${victim} in the archive hashes to sha256:`));
    });

    it('a layer whose content is not the diffID its config names (after other blobs went in)', async () => {
      // consistent names and digests, but the second layer's tar is another one: found while unpacking
      const manifest = JSON.parse(good.find((e) => e.name === 'manifest.json')!.content.toString()) as {
        Config: string;
        RepoTags: string[];
        Layers: string[];
      }[];
      const other = await tarOf([{ name: 'other', content: 'not the layer' }]);
      const otherName = `blobs/sha256/${sha(other).slice(7)}`;
      const rewritten = [{ ...manifest[0]!, Layers: manifest[0]!.Layers.map((l, i) => (i === 1 ? otherName : l)), RepoTags: ['tampered:1'] }];
      const entries = toEntries(good)
        .filter((e) => e.name !== 'manifest.json' && e.name !== 'index.json')
        .concat([
          { name: otherName, content: other },
          { name: 'manifest.json', content: JSON.stringify(rewritten) },
        ]);
      await refused(await tarOf(entries), /does not match the image config/);
      await expect(store.inspect('tampered:1')).rejects.toThrow(NotFound);
    });

    it('a truncated archive, garbage, an empty tar', async () => {
      const whole = await tarOf(toEntries(good));
      await refused(whole.subarray(0, Math.floor(whole.length / 2) + 100), /truncated or not a tar file/);
      await refused(Buffer.from('this is not a tar at all, just some text that is long enough '.repeat(20)), /truncated or not a tar file/);
      await refused(await tarOf([]), /neither manifest.json \(docker-archive\) nor index.json/);
    });
  });
});

describe('export and import', () => {
  it('exports a container filesystem with its changes; the import runs', async () => {
    t ??= await TestRuntime.create([host]);
    await t.rt.images.pull(busybox).catch(() => {});
    const made = await runCollect(t.rt, {
      image: busybox,
      cmd: ['sh', '-c', 'echo made-here > /thatfile && rm /etc/group && mkdir -p /var/data && echo x > /var/data/y'],
    });
    expect(made.code).toBe(0);
    const file = join(work, 'export.tar');
    await pipeline(await t.rt.containers.export(made.id), createWriteStream(file));
    const entries = await entriesOf(readFileSync(file));
    const names = entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['thatfile', 'bin/busybox', 'etc/passwd', 'var/data/y']));
    expect(names).not.toContain('etc/group');
    expect(names.some((n) => n.startsWith('proc/') || n.includes('.wh.'))).toBe(false);
    expect(entries.find((e) => e.name === 'thatfile')!.content.toString()).toBe('made-here\n');
    await expect(t.rt.containers.export('no-such-container')).rejects.toThrow(NotFound);

    const { id } = await t.rt.images.import(createReadStream(file), {
      ref: 'imported:v1',
      changes: ['CMD ["cat", "/thatfile"]', 'ENV A=1 B="two words"', 'WORKDIR /var/data'],
      message: 'from a test',
    });
    const img = await t.rt.images.inspect('imported:v1');
    expect(img).toMatchObject({ id, repoTags: ['imported:v1'], config: { Cmd: ['cat', '/thatfile'], Env: ['A=1', 'B=two words'], WorkingDir: '/var/data' } });
    expect(img.layers).toHaveLength(1);
    expect((await t.rt.images.history('imported:v1'))[0]).toMatchObject({ comment: 'from a test' });
    const run = await runCollect(t.rt, { image: 'imported:v1', autoRemove: true });
    expect(run).toMatchObject({ code: 0, stdout: 'made-here\n' });
    // gzip input gives the same layer
    const gz = join(work, 'export.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const again = await t.rt.images.import(createReadStream(gz), {});
    expect((await t.rt.images.inspect(again.id)).rootFS.diffIDs).toEqual(img.rootFS.diffIDs);
    await expect(t.rt.images.import(Readable.from([Buffer.from('x')]), { changes: ['RUN rm -rf /'] })).rejects.toThrow(/not a valid change command/);
    await expect(t.rt.images.import(Readable.from([await tarOf([{ name: '../escape', content: 'x' }])]), {})).rejects.toThrow(/outside the layer/);
  }, 120_000);
});
