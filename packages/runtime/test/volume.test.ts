import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../src/volume/mount-spec.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { runCollect, TestRuntime } from './helpers.js';

let t: TestRuntime;
let image: string;
let hostDir: string;

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host]);
  await t.rt.images.pull(image);
  hostDir = mkdtempSync(join(tmpdir(), 'skiff-bind-'));
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  await stopFixtureRegistry();
  rmSync(hostDir, { recursive: true, force: true });
}, 60_000);

const sh = (s: string) => ['sh', '-c', s];

describe('mount flags', () => {
  it('parses -v, --mount and --tmpfs like Docker', () => {
    expect(parseVolumeFlag('/src:/dst:ro')).toEqual({ type: 'bind', source: '/src', target: '/dst', readOnly: true });
    expect(parseVolumeFlag('data:/var/lib/db')).toMatchObject({ type: 'volume', source: 'data', target: '/var/lib/db', readOnly: false });
    expect(parseVolumeFlag('/anon')).toEqual({ type: 'volume', source: '', target: '/anon' });
    expect(parseMountFlag('type=bind,source=/a,target=/b,readonly')).toMatchObject({ type: 'bind', source: '/a', target: '/b', readOnly: true });
    // noexec first: Docker's default for --tmpfs, which a later `exec` undoes
    expect(parseTmpfsFlag('/run:size=1m,mode=700')).toEqual({ type: 'tmpfs', target: '/run', tmpfsSize: 1048576, tmpfsMode: 0o700, tmpfsOptions: ['noexec'] });
    expect(parseTmpfsFlag('/x:exec,nosuid,uid=5,ro')).toEqual({
      type: 'tmpfs',
      target: '/x',
      readOnly: true,
      tmpfsOptions: ['noexec', 'exec', 'nosuid', 'uid=5'],
    });
    expect(() => parseTmpfsFlag('/x:mpol=bind')).toThrow(/invalid tmpfs option "mpol=bind"/);
    expect(() => parseTmpfsFlag('/x:uid=-1')).toThrow(/invalid tmpfs option/);
    expect(() => parseTmpfsFlag('/x:mode=999')).toThrow(/invalid tmpfs mode/);
    expect(() => parseVolumeFlag('data:relative')).toThrow(/must be absolute/);
    expect(() => parseVolumeFlag('a:/b:rx')).toThrow(/invalid mode/);
    expect(() => parseMountFlag('type=nfs,target=/x')).toThrow(/invalid mount type/);
  });
});

describe('bind mounts', () => {
  it('shares a host directory, read-write or read-only', async () => {
    writeFileSync(join(hostDir, 'hello.txt'), 'from host\n');
    const rw = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'bind', source: hostDir, target: '/host' }],
      cmd: sh('cat /host/hello.txt; echo from container > /host/out.txt'),
    });
    expect(rw).toMatchObject({ code: 0, stdout: 'from host\n' });
    expect(readFileSync(join(hostDir, 'out.txt'), 'utf8')).toBe('from container\n');
    const ro = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'bind', source: hostDir, target: '/host', readOnly: true }],
      cmd: sh('echo x > /host/y 2>&1 || echo refused'),
    });
    expect(ro.stdout).toBe('refused\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(hostDir, 'y'))).toBe(false);
  });

  it('refuses a missing source before creating anything', async () => {
    const before = (await t.rt.containers.list({ all: true })).length;
    await expect(t.rt.containers.create({ image, mounts: [{ type: 'bind', source: '/no/such/dir', target: '/x' }] })).rejects.toThrow(
      /bind source path does not exist: \/no\/such\/dir/,
    );
    expect((await t.rt.containers.list({ all: true })).length).toBe(before);
  });
});

describe('volumes', () => {
  it('keeps named volume data across containers and seeds it with the image content', async () => {
    const w = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'volume', source: 'appdata', target: '/data' }],
      cmd: sh('echo persisted > /data/file'),
    });
    expect(w.code).toBe(0);
    const r = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'volume', source: 'appdata', target: '/data', readOnly: true }],
      cmd: ['cat', '/data/file'],
    });
    expect(r.stdout).toBe('persisted\n');
    const seeded = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'volume', source: 'etc-copy', target: '/etc' }],
      cmd: ['grep', '-c', 'app', '/etc/passwd'],
    });
    expect(seeded.stdout).toBe('1\n');
    const v = await t.rt.volumes.inspect('appdata');
    expect(v).toMatchObject({ name: 'appdata', anonymous: false, usedBy: [] });
    expect(readFileSync(join(v.mountpoint, 'file'), 'utf8')).toBe('persisted\n');
  });

  it('refuses to remove a volume in use and rejects hostile names', async () => {
    const { id } = await t.rt.containers.create({ image, mounts: [{ type: 'volume', source: 'busy', target: '/x' }], cmd: ['true'] });
    await expect(t.rt.volumes.remove('busy')).rejects.toMatchObject({ code: 'CONFLICT' });
    await t.rt.containers.remove(id);
    await t.rt.volumes.remove('busy');
    for (const bad of ['../escape', 'a/b', '..', '.hidden']) {
      await expect(t.rt.volumes.create(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(t.rt.containers.create({ image, mounts: [{ type: 'volume', source: bad, target: '/x' }] })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    expect(existsSync(join(t.root, 'escape'))).toBe(false);
  });

  it('removes anonymous volumes with --rm and rm -v, keeps them otherwise', async () => {
    const count = () => readdirSync(join(t.root, 'volumes')).length;
    const before = count();
    await runCollect(t.rt, { image, autoRemove: true, mounts: [{ type: 'volume', source: '', target: '/scratch' }], cmd: sh('echo x > /scratch/x') });
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(before);
    const { id } = await t.rt.containers.create({ image, mounts: [{ type: 'volume', target: '/scratch' }], cmd: ['true'] });
    expect(count()).toBe(before + 1);
    const anon = ((await t.rt.containers.inspect(id)).Mounts as { Name: string }[])[0]!.Name;
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    await t.rt.containers.remove(id, { volumes: true });
    expect(count()).toBe(before);
  });

  it('shares volumes with --volumes-from and mounts tmpfs', async () => {
    const { id } = await t.rt.containers.create({ image, name: 'store', mounts: [{ type: 'volume', source: 'shared', target: '/shared' }], cmd: ['true'] });
    await runCollect(t.rt, { image, autoRemove: true, volumesFrom: ['store'], cmd: sh('echo via volumes-from > /shared/f') });
    const r = await runCollect(t.rt, { image, autoRemove: true, volumesFrom: ['store:ro'], cmd: sh('cat /shared/f; touch /shared/g 2>/dev/null || echo ro') });
    expect(r.stdout).toBe('via volumes-from\nro\n');
    const tmp = await runCollect(t.rt, {
      image,
      autoRemove: true,
      mounts: [{ type: 'tmpfs', target: '/fast', tmpfsSize: 1 << 20 }],
      cmd: sh('grep " /fast " /proc/mounts'),
    });
    expect(tmp.stdout).toMatch(/^tmpfs \/fast tmpfs rw,nosuid,nodev,.*size=1024k/);
    await t.rt.containers.remove(id);
  });

  it('lists and prunes volumes', async () => {
    await t.rt.volumes.create('labelled', { labels: { team: 'a' } });
    expect((await t.rt.volumes.list({ label: ['team=a'] })).map((v) => v.name)).toEqual(['labelled']);
    const anon = await t.rt.volumes.create();
    const pruned = await t.rt.volumes.prune();
    expect(pruned.deleted).toContain(anon.name);
    expect(pruned.deleted).not.toContain('labelled'); // named volumes need --all
    expect((await t.rt.volumes.prune({ all: true })).deleted).toContain('labelled');
  });
});
