import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ImageStore } from '../src/image/image-store.js';
import { spawnReported } from '../src/native/addon.js';
import { SHIM_PATH } from '../src/native/paths.js';
import { NetworkStore } from '../src/network/network-store.js';
import { createRuntime } from '../src/runtime.js';
import { FORMAT, FormatTooNew, readVersioned } from '../src/store/format-version.js';
import { type TestRuntime, useTestRuntime } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
beforeAll(() => {
  ({ t, image } = env);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** every path under `dir` with its type, mode, size, mtime and (files) content hash */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = lstatSync(p);
    const hash = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
    out[p] = `${st.mode} ${st.size} ${st.mtimeMs} ${hash}`;
    // unpacked layers are many files nothing here could touch; their directory's stamp is enough
    if (st.isDirectory() && !p.endsWith('/layers') && !p.endsWith('/blobs')) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}

const editJson = (file: string, patch: Record<string, unknown>) =>
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...patch }));
const NEWER = { root: FORMAT.root + 1, container: FORMAT.container + 1 };

describe('format versions', () => {
  it('reads a file without a version as version 1 and migrates it step by step', () => {
    expect(readVersioned('f', { a: 1 }, 1)).toEqual({ a: 1 });
    expect(readVersioned('f', { version: 1, a: 1 }, 3, { 1: (j) => ({ ...j, b: 2 }), 2: (j) => ({ ...j, c: 3 }) })).toEqual({ a: 1, b: 2, c: 3 });
    expect(() => readVersioned('/x/f.json', { version: 4 }, 3)).toThrow('/x/f.json has format version 4, but this Skiff understands version 3 at most');
    expect(() => readVersioned('f', { version: 'two' }, 3)).toThrow(/invalid format version "two"/);
  });

  it('refuses to open a root a newer release wrote, and changes nothing in it', async () => {
    const { id } = await t.rt.containers.create({ image, name: 'in-newer-root', cmd: ['true'] });
    await t.rt.volumes.create('in-newer-root');
    const formatFile = join(t.root, 'format');
    expect(JSON.parse(readFileSync(formatFile, 'utf8'))).toEqual({ version: FORMAT.root });
    await t.restartAround(async (options) => {
      writeFileSync(formatFile, JSON.stringify({ version: NEWER.root }));
      const before = snapshot(t.root);
      const err = await createRuntime(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FormatTooNew);
      expect((err as Error).message).toContain(`${formatFile} has format version ${NEWER.root}, but this Skiff understands version ${FORMAT.root} at most`);
      expect(snapshot(t.root)).toEqual(before);
      writeFileSync(formatFile, JSON.stringify({ version: FORMAT.root }));
    });
    expect((await t.rt.containers.inspect(id)).Name).toBe('/in-newer-root');
    await t.rt.containers.remove(id);
    await t.rt.volumes.remove('in-newer-root');
  });

  it('skips a container a newer release recorded, keeps its name taken and its files as they are', async () => {
    const a = await t.rt.containers.create({ image, name: 'from-the-future', cmd: ['true'] });
    const b = await t.rt.containers.create({ image, name: 'from-today', cmd: ['true'] });
    const dir = join(t.root, 'containers', a.id);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).version).toBe(FORMAT.container);
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let before: Record<string, string> = {};
    await t.restartAround(async () => {
      editJson(join(dir, 'config.json'), { version: NEWER.container });
      before = snapshot(dir);
    });
    // the runtime's logger: a JSON line at error with the container's id and the reason
    const logged = errors.mock.calls
      .map((c) => String(c[0]))
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'a container is skipped',
        container: a.id,
        err: expect.objectContaining({ message: expect.stringContaining(`${join(dir, 'config.json')} has format version ${NEWER.container}`) }),
      }),
    );
    const ids = (await t.rt.containers.list({ all: true })).map((c) => c.id);
    expect(ids).toContain(b.id);
    expect(ids).not.toContain(a.id);
    await expect(t.rt.containers.inspect(a.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.rt.containers.create({ image, name: 'from-the-future', cmd: ['true'] })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(snapshot(dir)).toEqual(before);
    // a state.json from a newer release counts the same; put back, both open again
    await t.restartAround(async () => {
      editJson(join(dir, 'config.json'), { version: FORMAT.container });
      editJson(join(dir, 'state.json'), { version: FORMAT.containerState + 1 });
    });
    expect((await t.rt.containers.list({ all: true })).map((c) => c.id)).not.toContain(a.id);
    await t.restartAround(async () => editJson(join(dir, 'state.json'), { version: FORMAT.containerState }));
    expect((await t.rt.containers.list({ all: true })).map((c) => c.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    await t.rt.containers.remove(a.id);
    await t.rt.containers.remove(b.id);
  });

  it('leaves a skipped running container running, with its network', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '1d'] });
    const dir = join(t.root, 'containers', id);
    const shimPid = Number(readFileSync(join(dir, 'shim.pid'), 'utf8'));
    const netns = `/run/netns/skiff-${id.slice(0, 12)}`;
    const ip = ((await t.rt.containers.inspect(id)).NetworkSettings as { IPAddress: string }).IPAddress;
    expect(existsSync(netns)).toBe(true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await t.restartAround(async () => editJson(join(dir, 'config.json'), { version: NEWER.container }));
    expect(existsSync(netns)).toBe(true);
    expect(readFileSync(`/proc/${shimPid}/cmdline`, 'utf8')).toContain(dir);
    await t.restartAround(async () => editJson(join(dir, 'config.json'), { version: FORMAT.container }));
    const s = await t.rt.containers.inspect(id);
    expect((s.State as { Status: string }).Status).toBe('running');
    expect((s.NetworkSettings as { IPAddress: string }).IPAddress).toBe(ip);
    await t.rt.containers.remove(id, { force: true });
  });

  it('refuses a newer volume instead of overwriting it, and leaves a newer network out', async () => {
    await t.rt.volumes.create('vol-from-the-future');
    const meta = join(t.root, 'volumes', 'vol-from-the-future', 'meta.json');
    expect(JSON.parse(readFileSync(meta, 'utf8')).version).toBe(FORMAT.volume);
    editJson(meta, { version: FORMAT.volume + 1 });
    const written = readFileSync(meta, 'utf8');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(t.rt.volumes.inspect('vol-from-the-future')).rejects.toThrow(`${meta} has format version ${FORMAT.volume + 1}`);
    await expect(t.rt.volumes.create('vol-from-the-future')).rejects.toBeInstanceOf(FormatTooNew);
    expect((await t.rt.volumes.list()).map((v) => v.name)).not.toContain('vol-from-the-future');
    expect(readFileSync(meta, 'utf8')).toBe(written);
    editJson(meta, { version: FORMAT.volume });
    await t.rt.volumes.remove('vol-from-the-future');

    const root = await mkdtemp(join(tmpdir(), 'skiff-fmt-'));
    try {
      mkdirSync(join(root, 'networks', 'n1'), { recursive: true });
      writeFileSync(join(root, 'networks', 'n1', 'network.json'), JSON.stringify({ version: FORMAT.network + 1, id: 'n1', name: 'future' }));
      mkdirSync(join(root, 'networks', 'n2'), { recursive: true });
      writeFileSync(
        join(root, 'networks', 'n2', 'network.json'),
        JSON.stringify({ id: 'n2', name: 'old', driver: 'bridge', internal: false, labels: {}, created: '' }),
      );
      const store = await NetworkStore.open(root);
      expect(store.all().map((n) => [n.name, 'version' in n])).toEqual([['old', false]]);
      await store.save(store.get('old'));
      expect(JSON.parse(readFileSync(join(root, 'networks', 'n2', 'network.json'), 'utf8')).version).toBe(FORMAT.network);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a newer image index with the file, its version and the supported one', async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-fmt-'));
    try {
      await ImageStore.open({ root, insecureRegistries: [] });
      expect(JSON.parse(readFileSync(join(root, 'images', 'index.json'), 'utf8'))).toEqual({ version: FORMAT.imageIndex, images: [] });
      writeFileSync(join(root, 'images', 'index.json'), JSON.stringify({ version: FORMAT.imageIndex + 1, images: [] }));
      await expect(ImageStore.open({ root, insecureRegistries: [] })).rejects.toThrow(
        `${join(root, 'images', 'index.json')} has format version ${FORMAT.imageIndex + 1}, but this Skiff understands version ${FORMAT.imageIndex} at most`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a shim refuses a shim.conf or an exec conf from a newer release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-fmt-'));
    try {
      writeFileSync(join(dir, 'shim.conf'), `version=${FORMAT.shimConf + 1}\nid=x\narg=/bin/true\n`);
      const { report } = await spawnReported(SHIM_PATH, ['start', dir]);
      expect(report).toBe(
        `error 125 ${join(dir, 'shim.conf')} has format version ${FORMAT.shimConf + 1}, but this shim understands version ${FORMAT.shimConf} at most: it was written by a newer release\n`,
      );
      const conf = join(dir, 'exec.conf');
      writeFileSync(conf, `version=${FORMAT.shimConf + 1}\npid=${process.pid}\narg=/bin/true\n`);
      const p = spawn(SHIM_PATH, ['exec', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      expect(await new Promise((r) => p.on('close', r))).toBe(126);
      expect(stderr).toContain(`${conf} has format version ${FORMAT.shimConf + 1}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('attach refuses a shim speaking a newer protocol; a file of an earlier shim does not count', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '1d'] });
    const dir = join(t.root, 'containers', id);
    const file = join(dir, 'shim-protocol.json');
    const shimPid = Number(readFileSync(join(dir, 'shim.pid'), 'utf8'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: FORMAT.shimProtocol, pid: shimPid });
    writeFileSync(file, JSON.stringify({ version: FORMAT.shimProtocol + 1, pid: shimPid }));
    await expect(t.rt.containers.attach(id)).rejects.toThrow(`${file} has format version ${FORMAT.shimProtocol + 1}`);
    writeFileSync(file, JSON.stringify({ version: FORMAT.shimProtocol + 1, pid: shimPid + 100000 }));
    (await t.rt.containers.attach(id)).detach();
    await t.rt.containers.remove(id, { force: true });
  });

  it('the shim writes exit.json with its version', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sh', '-c', 'exit 3'] });
    await t.rt.containers.wait(id);
    expect(JSON.parse(readFileSync(join(t.root, 'containers', id, 'exit.json'), 'utf8'))).toMatchObject({ version: FORMAT.exitRecord, exitCode: 3 });
    await t.rt.containers.remove(id);
  });
});
