import type { ImageConfig } from '../src/types.js';
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync, chownSync, utimesSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgument, NotFound } from '../src/errors.js';
import { applyChanges } from '../src/image/config-changes.js';
import { ImageStore } from '../src/image/image-store.js';
import { unpackLayer } from '../src/image/layer-unpack.js';
import { writeLayer, type WrittenLayer } from '../src/image/layer-writer.js';
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFCHR } from '../src/native/addon.js';
import { BlobStore } from '../src/store/blob-store.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { runCollect, TestRuntime } from './helpers.js';

let t: TestRuntime;
let host: string;
let image: string;
const roots: string[] = [];

beforeAll(async () => {
  const reg = await fixtureRegistry();
  host = reg.host;
  image = `${host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([host]);
  await t.rt.images.pull(image);
}, 120_000);

afterAll(async () => {
  await t?.dispose().catch((e: unknown) => console.warn(`test cleanup: disposing the test runtime: ${(e as Error).message}`));
  await stopFixtureRegistry();
  for (const r of roots) await rm(r, { recursive: true, force: true });
}, 60_000);

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-commit-'));
  roots.push(dir);
  return dir;
}

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string | null;
  uname: string;
  gname: string;
  pax: Record<string, unknown>;
}

/** the entries of a gzip layer blob, in order */
async function entriesOf(blobPath: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    out.push({
      name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime?.getTime() ?? 0,
      linkname: h.linkname ?? null, uname: h.uname ?? '', gname: h.gname ?? '', pax: (h.pax ?? {}) as Record<string, unknown>,
    });
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(blobPath), createGunzip(), extract);
  return out;
}

const sh = (script: string) => ['sh', '-c', script];
/** add a file, change one, delete one of the image's, replace a directory (opaque) */
const CHANGES = 'echo added > /added; echo "extra:x:77:" >> /etc/group; rm /bin/ls; rm -rf /home; mkdir /home; echo new > /home/new';

describe('commit', () => {
  let committedId: string;
  let containerId: string;

  it('commits the upper dir as a layer; the new image runs with the changes and the -c command', async () => {
    const base = await t.rt.images.inspect(image);
    const run = await runCollect(t.rt, { image, name: 'changer', env: ['MODE=committed'], workingDir: '/tmp', cmd: sh(CHANGES) });
    expect(run.code).toBe(0);
    containerId = run.id;
    const events: string[] = [];
    const off = t.rt.onEvent((e) => events.push(`${e.type} ${e.action}`));
    const { id } = await t.rt.containers.commit('changer', {
      ref: 'committed/img:v1',
      message: 'add, change, delete, replace',
      author: 'Skiff Test <test@skiff.invalid>',
      changes: ['CMD ["cat","/added"]', 'ENV EXTRA="two words" OTHER=1', 'EXPOSE 8080/tcp 53/udp', 'LABEL org.skiff.test=yes', 'STOPSIGNAL SIGINT'],
    });
    off();
    committedId = id;
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(events).toEqual(expect.arrayContaining(['image commit', 'container commit']));

    const img = await t.rt.images.inspect('committed/img:v1');
    expect(img.id).toBe(id);
    expect(img.repoTags).toEqual(['committed/img:v1']);
    expect(img.rootFS.diffIDs.slice(0, -1)).toEqual(base.rootFS.diffIDs);
    expect(img.rootFS.diffIDs).toHaveLength(base.rootFS.diffIDs.length + 1);
    expect(img.config.Cmd).toEqual(['cat', '/added']);
    expect(img.config.WorkingDir).toBe('/tmp');
    expect(img.config.Env).toEqual(expect.arrayContaining(['MODE=committed', 'EXTRA=two words', 'OTHER=1']));
    expect(img.config.Env!.some((e) => e.startsWith('HOSTNAME='))).toBe(false);
    expect(img.config.ExposedPorts).toEqual({ '8080/tcp': {}, '53/udp': {} });
    expect(img.config.Labels).toEqual({ 'org.skiff.test': 'yes' });
    expect(img.config.StopSignal).toBe('SIGINT');
    const config = JSON.parse((await t.imageStore.blobs.read(id)).toString());
    expect(config.author).toBe('Skiff Test <test@skiff.invalid>');
    expect(config.rootfs.diff_ids).toEqual(img.rootFS.diffIDs);

    // the default command from -c
    const cat = await runCollect(t.rt, { image: 'committed/img:v1', autoRemove: true });
    expect(cat).toMatchObject({ code: 0, stdout: 'added\n' });
    const check = await runCollect(t.rt, {
      image: 'committed/img:v1',
      autoRemove: true,
      cmd: sh('tail -n1 /etc/group; test -e /bin/ls && echo ls-present || echo ls-absent; ls -A /home; echo "$MODE $EXTRA"; pwd'),
    });
    expect(check.stdout).toBe('extra:x:77:\nls-absent\nnew\ncommitted two words\n/tmp\n');
  });

  it('records the commit in the history (message, author, command)', async () => {
    const history = await t.rt.images.history('committed/img:v1');
    expect(history[0]).toMatchObject({ id: committedId, comment: 'add, change, delete, replace', emptyLayer: false });
    expect(history[0]!.createdBy).toBe(`sh -c ${CHANGES}`);
    expect(history[0]!.size).toBeGreaterThan(0);
    expect(history.slice(1).map((h) => h.id)).toEqual(history.slice(1).map(() => '<missing>'));
    const config = JSON.parse((await t.imageStore.blobs.read(committedId)).toString());
    expect(config.history.at(-1)).toMatchObject({ author: 'Skiff Test <test@skiff.invalid>', comment: 'add, change, delete, replace' });
  });

  it('is reproducible: the same upper content gives the same diffID and digest', async () => {
    const a = await t.rt.containers.commit(containerId);
    const b = await t.rt.containers.commit(containerId);
    const ia = await t.rt.images.inspect(a.id);
    const ib = await t.rt.images.inspect(b.id);
    expect(ia.repoTags).toEqual([]); // dangling
    expect(ia.layers.at(-1)).toEqual(ib.layers.at(-1));
    const committed = await t.rt.images.inspect(committedId);
    expect(ia.layers.at(-1)).toEqual(committed.layers.at(-1));
    expect(await t.rt.images.list({ dangling: true })).toEqual(expect.arrayContaining([expect.objectContaining({ id: a.id }), expect.objectContaining({ id: b.id })]));
  });

  it('agrees with diff: A/C entries are the layer files, D entries its whiteouts', async () => {
    const diff = await t.rt.containers.diff(containerId);
    const img = await t.rt.images.inspect(committedId);
    const entries = await entriesOf(t.imageStore.blobs.path(img.layers.at(-1)!.digest));
    const names = entries.map((e) => e.name.replace(/\/$/, ''));
    // sorted, depth first, directory before its contents
    expect(names).toContain('added');
    expect(names).toContain('bin/.wh.ls');
    // the runtime's own mount points (hosts, resolv.conf, /proc, ...) are neither in diff nor in the layer
    for (const p of ['dev', 'proc', 'sys', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf']) expect(names).not.toContain(p);
    expect(names.indexOf('home/.wh..wh..opq')).toBe(names.indexOf('home') + 1);
    expect(entries.every((e) => e.uname === '' && e.gname === '')).toBe(true);
    expect(entries.every((e) => !('atime' in e.pax) && !('ctime' in e.pax))).toBe(true);

    const fromLayer = new Map<string, 'AC' | 'D'>();
    for (const n of names) {
      const base = n.split('/').pop()!;
      if (base === '.wh..wh..opq') continue;
      if (base.startsWith('.wh.')) fromLayer.set(`/${n.slice(0, n.length - base.length)}${base.slice(4)}`, 'D');
      else fromLayer.set(`/${n}`, 'AC');
    }
    const fromDiff = new Map(diff.map((c) => [c.path, c.kind === 2 ? ('D' as const) : ('AC' as const)]));
    expect(fromLayer).toEqual(fromDiff);
    expect(diff).toEqual(expect.arrayContaining([
      { path: '/added', kind: 1 },
      { path: '/etc/group', kind: 0 },
      { path: '/bin/ls', kind: 2 },
      { path: '/home', kind: 0 },
      { path: '/home/new', kind: 1 },
    ]));
    // A vs C: added entries are absent from the base image's layer, changed ones present
    const [lower] = await t.imageStore.layerDirs((await t.rt.images.inspect(image)).id);
    for (const c of diff.filter((d) => d.kind !== 2)) {
      expect(lstatSync(join(lower!, c.path), { throwIfNoEntry: false }) !== undefined, c.path).toBe(c.kind === 0);
    }
  });

  it('pauses a running container while committing by default and resumes it', async () => {
    const { id } = await t.rt.containers.run({ image, name: 'live', cmd: sh('echo live > /live; exec sleep 1000') });
    for (let i = 0; i < 50 && !(await t.rt.containers.diff(id)).some((c) => c.path === '/live'); i++) await new Promise((r) => setTimeout(r, 100));
    const { id: img } = await t.rt.containers.commit('live', { ref: 'committed/live' });
    expect((await t.rt.containers.inspect('live')).State).toMatchObject({ Status: 'running' });
    const out = await runCollect(t.rt, { image: 'committed/live:latest', autoRemove: true, cmd: ['cat', '/live'] });
    expect(out.stdout).toBe('live\n');
    // without pausing, too
    await t.rt.containers.commit('live', { pause: false });
    expect((await t.rt.images.inspect('committed/live')).id).toBe(img);
    await t.rt.containers.remove('live', { force: true });
  });

  it('pushes the committed image and pulls it back on a fresh root with an equal manifest digest', async () => {
    const ref = `${host}/skiff-test/committed:v1`;
    await t.rt.images.tag('committed/img:v1', ref);
    const { digest } = await t.rt.images.push(ref);
    const local = await t.rt.images.inspect(ref);
    expect(digest).toBe(local.manifestDigest);
    const root = await scratch();
    const fresh = await ImageStore.open({ root, insecureRegistries: [host] });
    const pulled = await fresh.pull(ref);
    expect(pulled.manifestDigest).toBe(digest);
    expect(pulled.id).toBe(local.id);
    expect(pulled.rootFS.diffIDs).toEqual(local.rootFS.diffIDs);
    const [top] = await fresh.layerDirs(pulled.id);
    expect(readFileSync(join(top!, 'added'), 'utf8')).toBe('added\n');
    expect(lstatSync(join(top!, 'bin/ls')).isCharacterDevice()).toBe(true); // whiteout again
    expect(lgetxattr(join(top!, 'home'), 'trusted.overlay.opaque')?.toString()).toBe('y');
  });

  it('refuses a nonexistent container, a digest ref and invalid changes', async () => {
    await expect(t.rt.containers.commit('ghost')).rejects.toBeInstanceOf(NotFound);
    await expect(t.rt.containers.commit(containerId, { ref: 'x@sha256:' + 'a'.repeat(64) })).rejects.toBeInstanceOf(InvalidArgument);
    await expect(t.rt.containers.commit(containerId, { changes: ['RUN echo hi'] })).rejects.toThrow(/RUN is not a valid change command/);
    await expect(t.rt.containers.commit(containerId, { changes: ['BOGUS x'] })).rejects.toThrow(/unknown instruction/);
    await expect(t.rt.containers.commit(containerId, { changes: ['STOPSIGNAL NOPE'] })).rejects.toThrow(/invalid signal/);
  });
});

describe('commit changes', () => {
  it('parses JSON and shell forms like the Dockerfile', () => {
    const c = applyChanges({ Env: ['A=1'], WorkingDir: '/srv' }, [
      'CMD echo "hi there"',
      'ENTRYPOINT ["/bin/tini", "--"]',
      'ENV A=2 B="x y"',
      'ENV LEGACY value with spaces',
      'LABEL "com.example.a"="1" b=two\\ words',
      'EXPOSE 80 7000-7001/udp',
      'USER app:app',
      'WORKDIR sub',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache',
      'STOPSIGNAL 9',
    ]);
    expect(c).toEqual({
      Cmd: ['/bin/sh', '-c', 'echo "hi there"'],
      Entrypoint: ['/bin/tini', '--'],
      Env: ['A=2', 'B=x y', 'LEGACY=value with spaces'],
      Labels: { 'com.example.a': '1', b: 'two words' },
      ExposedPorts: { '80/tcp': {}, '7000/udp': {}, '7001/udp': {} },
      User: 'app:app',
      WorkingDir: '/srv/sub',
      Volumes: { '/data': {}, '/logs': {}, '/cache': {} },
      StopSignal: '9',
    });
    expect(applyChanges<ImageConfig>({}, ['cmd ["a", 1]']).Cmd).toEqual(['/bin/sh', '-c', '["a", 1]']); // not a string array: shell form
    expect(() => applyChanges({}, ['EXPOSE abc'])).toThrow(InvalidArgument);
    expect(() => applyChanges({}, ['COPY a b'])).toThrow(/COPY is not a valid change command/);
  });
});

describe('layer writer', () => {
  async function tree(): Promise<string> {
    const src = join(await scratch(), 'src');
    mkdirSync(join(src, 'dir/sub'), { recursive: true });
    writeFileSync(join(src, 'dir/file'), 'content\n');
    chownSync(join(src, 'dir/file'), 1000, 50);
    chmodSync(join(src, 'dir/file'), 0o4755); // after chown, which clears set-uid
    writeFileSync(join(src, 'secret'), 's');
    chmodSync(join(src, 'secret'), 0o000);
    linkSync(join(src, 'dir/file'), join(src, 'dir/sub/hard'));
    symlinkSync('../file', join(src, 'dir/sub/rel'));
    symlinkSync('/etc/passwd', join(src, 'abs'));
    mkdirSync(join(src, 'sticky'));
    chmodSync(join(src, 'sticky'), 0o1777);
    execFileSync('mkfifo', [join(src, 'fifo')]);
    mknod(join(src, 'null'), S_IFCHR | 0o666, 1, 3);
    writeFileSync(join(src, 'caps'), 'x');
    lsetxattr(join(src, 'caps'), 'security.capability', Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    lsetxattr(join(src, 'caps'), 'user.bin', Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    writeFileSync(join(src, 'Ünïcode-' + 'n'.repeat(120)), 'long\n');
    const when = new Date('2023-05-06T07:08:09.750Z');
    for (const p of ['dir/file', 'secret', 'sticky', 'dir/sub', 'dir', 'caps']) utimesSync(join(src, p), when, when);
    return src;
  }

  async function blobStore(): Promise<BlobStore> {
    const b = new BlobStore(await scratch());
    await b.init();
    return b;
  }

  it('round-trips through the unpacker: modes, owners, mtimes, symlinks, hard links, devices, xattrs', async () => {
    const src = await tree();
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'directory', dir: src }, blobs);
    expect(layer).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', empty: false });
    expect(await blobs.size(layer.digest)).toBe(layer.size);
    const dest = join(await scratch(), 'fs');
    mkdirSync(dest);
    const { diffID } = await unpackLayer(createReadStream(blobs.path(layer.digest)), dest);
    expect(diffID).toBe(layer.diffID);

    const file = statSync(join(dest, 'dir/file'));
    expect([file.mode & 0o7777, file.uid, file.gid, file.mtime.toISOString()]).toEqual([0o4755, 1000, 50, '2023-05-06T07:08:09.000Z']);
    expect(statSync(join(dest, 'dir/sub/hard')).ino).toBe(file.ino);
    expect(statSync(join(dest, 'secret')).mode & 0o7777).toBe(0);
    expect(statSync(join(dest, 'sticky')).mode & 0o7777).toBe(0o1777);
    expect(readlinkSync(join(dest, 'dir/sub/rel'))).toBe('../file');
    expect(readlinkSync(join(dest, 'abs'))).toBe('/etc/passwd');
    expect(lstatSync(join(dest, 'fifo')).isFIFO()).toBe(true);
    const dev = lstatSync(join(dest, 'null'));
    expect([dev.isCharacterDevice(), dev.rdev]).toEqual([true, lstatSync(join(src, 'null')).rdev]);
    expect(lgetxattr(join(dest, 'caps'), 'security.capability')).toEqual(lgetxattr(join(src, 'caps'), 'security.capability'));
    expect([...lgetxattr(join(dest, 'caps'), 'user.bin')!]).toEqual([0xff, 0xfe, 0x00, 0xc3]);
    expect(readFileSync(join(dest, 'Ünïcode-' + 'n'.repeat(120)), 'utf8')).toBe('long\n');

    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => e.name)).toEqual([
      'abs', 'caps', 'dir/', 'dir/file', 'dir/sub/', 'dir/sub/hard', 'dir/sub/rel', 'fifo', 'null', 'secret', 'sticky/', 'Ünïcode-' + 'n'.repeat(120),
    ]);
    expect(entries.find((e) => e.name === 'dir/sub/hard')).toMatchObject({ type: 'link', linkname: 'dir/file' });
    // GNU tar reads it too (a peer check of the format)
    const listing = execFileSync('tar', ['-tvzf', blobs.path(layer.digest)], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwsr-xr-x 1000\/50 .* dir\/file$/m);
    expect(listing).toMatch(/^hrwsr-xr-x .* dir\/sub\/hard link to dir\/file$/m);
  });

  it('gives the same digest for the same content, whatever the atimes and the walk', async () => {
    const src = await tree();
    const a = await writeLayer({ kind: 'directory', dir: src }, await blobStore());
    readFileSync(join(src, 'dir/file')); // atime changes do not matter
    execFileSync('cp', ['-a', src, `${src}-copy`]); // another inode order on disk
    roots.push(`${src}-copy`);
    const b = await writeLayer({ kind: 'directory', dir: `${src}-copy` }, await blobStore());
    expect(b.diffID).toBe(a.diffID);
    expect(b.digest).toBe(a.digest);
    // mtime clamping (SOURCE_DATE_EPOCH-like)
    const clamped = await writeLayer({ kind: 'directory', dir: src }, await blobStore(), { mtimeClamp: new Date('2000-01-01T00:00:00Z') });
    expect(clamped.diffID).not.toBe(a.diffID);
    const blobs = await blobStore();
    const again = await writeLayer({ kind: 'directory', dir: src }, blobs, { mtimeClamp: new Date('2000-01-01T00:00:00Z') });
    expect(again.digest).toBe(clamped.digest);
    expect(new Set((await entriesOf(blobs.path(again.digest))).map((e) => e.mtime))).toEqual(new Set([Date.parse('2000-01-01T00:00:00Z')]));
  });

  it('prefixes a directory source (the root becomes the prefix dir)', async () => {
    const src = join(await scratch(), 'ctx');
    mkdirSync(join(src, 'lib'), { recursive: true });
    chmodSync(src, 0o750);
    writeFileSync(join(src, 'lib/a.txt'), 'a');
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'directory', dir: src, prefix: '/srv/app/' }, blobs);
    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => [e.name, e.mode])).toEqual([['srv/app/', 0o750], ['srv/app/lib/', 0o755], ['srv/app/lib/a.txt', 0o644]]);
  });

  it('converts overlayfs whiteouts and opaque dirs, drops overlay xattrs, and an empty upper is an empty layer', async () => {
    const upper = join(await scratch(), 'upper');
    mkdirSync(join(upper, 'etc/opq'), { recursive: true });
    mknod(join(upper, 'etc/gone'), S_IFCHR, 0, 0);
    lsetxattr(join(upper, 'etc/opq'), 'trusted.overlay.opaque', Buffer.from('y'));
    lsetxattr(join(upper, 'etc'), 'trusted.overlay.impure', Buffer.from('y'));
    writeFileSync(join(upper, 'etc/opq/kept'), 'k');
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'overlay-upper', dir: upper }, blobs);
    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => `${e.type} ${e.name}`)).toEqual(['directory etc/', 'file etc/.wh.gone', 'directory etc/opq/', 'file etc/opq/.wh..wh..opq', 'file etc/opq/kept']);
    expect(entries.every((e) => Object.keys(e.pax).every((k) => !k.includes('overlay')))).toBe(true);
    // and back: the unpacker turns them into overlayfs whiteouts again
    const dest = join(await scratch(), 'fs');
    mkdirSync(dest);
    await unpackLayer(createReadStream(blobs.path(layer.digest)), dest);
    expect(lstatSync(join(dest, 'etc/gone')).rdev).toBe(0);
    expect(lgetxattr(join(dest, 'etc/opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(llistxattr(join(dest, 'etc')).filter((n) => n.includes('overlay'))).toEqual([]);

    const empty: WrittenLayer = await writeLayer({ kind: 'overlay-upper', dir: join(await scratch()) }, blobs);
    expect(empty).toMatchObject({ empty: true, diffID: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' });
  });

  it('refuses an overlayfs redirect dir rather than writing an incomplete layer', async () => {
    const upper = join(await scratch(), 'upper');
    mkdirSync(join(upper, 'moved'), { recursive: true });
    lsetxattr(join(upper, 'moved'), 'trusted.overlay.redirect', Buffer.from('/orig'));
    await expect(writeLayer({ kind: 'overlay-upper', dir: upper }, await blobStore())).rejects.toThrow(/redirect/);
  });
});
