import type { ImageConfig } from '../src/types.js';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgument, NotFound } from '../src/errors.js';
import { applyChanges } from '../src/image/config-changes.js';
import { ImageStore } from '../src/image/image-store.js';
import { lgetxattr } from '../src/native/addon.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { entriesOf, scratchDirs } from './layer-entries.js';
import { runCollect, TestRuntime } from './helpers.js';

let t: TestRuntime;
let host: string;
let image: string;

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
  await dirs.removeAll();
}, 60_000);

const dirs = scratchDirs('skiff-commit-');
const scratch = dirs.make;

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
    expect(await t.rt.images.list({ dangling: true })).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: a.id }), expect.objectContaining({ id: b.id })]),
    );
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
    expect(diff).toEqual(
      expect.arrayContaining([
        { path: '/added', kind: 1 },
        { path: '/etc/group', kind: 0 },
        { path: '/bin/ls', kind: 2 },
        { path: '/home', kind: 0 },
        { path: '/home/new', kind: 1 },
      ]),
    );
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
