/**
 * Hostile images against the shim's mount setup: symlinks in the image (absolute, `..`
 * chains, chains of links) where the shim creates mount points and mounts /proc, /dev,
 * /etc/hosts and the container's volumes, binds and tmpfs. The host directories the links
 * point at must stay untouched; the container gets its mounts inside its own root (as
 * with Docker/runc) or a clear error. Runs once with openat2 and once with the shim's
 * component walk (what kernels without openat2 get).
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgument } from '../src/errors.js';
import { RegistryClient } from '../src/image/registry-client.js';
import type { ContainerCreateSpec } from '../src/types.js';
import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, pushImage, fixtureRegistry, type Entry } from '@skiff/test-fixtures';
import { runCollect, useTestRuntime } from './helpers.js';

const env = useTestRuntime();
let hostTmp: string;
let registry: string;

/** a directory on the host the image points at; must stay empty with its mtime */
function victim(name: string): { path: string; mtimeMs: number } {
  const path = join(hostTmp, name);
  mkdirSync(path);
  return { path, mtimeMs: statSync(path).mtimeMs };
}
function expectUntouched(v: { path: string; mtimeMs: number }): void {
  expect(readdirSync(v.path)).toEqual([]);
  expect(statSync(v.path).mtimeMs).toBe(v.mtimeMs);
}

async function pushHostile(name: string, entries: Entry[], drop: string[] = []): Promise<string> {
  const client = new RegistryClient({ registry, insecure: true });
  const base = busyboxEntries().filter((e) => !drop.some((d) => e.name === d || e.name.startsWith(`${d}/`)));
  await pushImage(client, `skiff-test/${name}`, 'latest', buildImage([await buildLayer([...base, ...entries])], BUSYBOX_CONFIG));
  const ref = `${registry}/skiff-test/${name}:latest`;
  await env.t.rt.images.pull(ref);
  return ref;
}

/** `../` enough times to reach / from the container's rootfs dir, then `target` */
const upToRoot = (target: string) => `${'../'.repeat(30)}${target.slice(1)}`;

beforeAll(async () => {
  hostTmp = await mkdtemp(join(tmpdir(), 'skiff-secmnt-'));
  registry = (await fixtureRegistry()).host;
}, 60_000);
afterAll(async () => {
  delete process.env.SKIFF_SHIM_RESOLVE;
  await rm(hostTmp, { recursive: true, force: true });
});

for (const mode of ['openat2', 'walk'] as const) {
  describe(`mount targets behind image symlinks (${mode})`, () => {
    beforeAll(() => {
      if (mode === 'walk') process.env.SKIFF_SHIM_RESOLVE = 'walk';
      else delete process.env.SKIFF_SHIM_RESOLVE;
    });

    it('binds /etc/hosts, /etc/hostname and /etc/resolv.conf inside the root when /etc is a symlink to a host dir', async () => {
      const etc = victim(`etc-${mode}`);
      const image = await pushHostile(`etc-link-${mode}`, [{ name: 'etc', type: 'symlink', linkname: etc.path }], ['etc']);
      const r = await runCollect(env.t.rt, { image, hostname: 'inside', cmd: ['sh', '-c', 'cat /etc/hostname; ls /etc/'] });
      expectUntouched(etc);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('inside\nhostname\nhosts\nresolv.conf\n');
    });

    it('puts tmpfs, bind and volume mounts behind absolute, `..` and chained links inside the root', async () => {
      const abs = victim(`abs-${mode}`);
      const rel = victim(`rel-${mode}`);
      const chained = victim(`chain-${mode}`);
      const image = await pushHostile(`mount-links-${mode}`, [
        { name: 'abs', type: 'symlink', linkname: abs.path },
        { name: 'rel', type: 'symlink', linkname: upToRoot(rel.path) },
        { name: 'chain', type: 'symlink', linkname: 'hop/' },
        { name: 'hop', type: 'symlink', linkname: `usr/../${upToRoot(chained.path)}` },
      ]);
      const bindDir = join(hostTmp, `bind-src-${mode}`);
      mkdirSync(bindDir);
      writeFileSync(join(bindDir, 'marker'), 'bound dir\n');
      const bindFile = join(hostTmp, `bind-file-${mode}`);
      writeFileSync(bindFile, 'bound file\n');
      const script = [
        'stat -f -c %T /abs/t',
        'cat /rel/b/marker',
        'cat /chain/deep/f.conf',
        'touch /abs/v/written',
        `test -d ${abs.path}/t && echo inside-root`,
        '(echo x >> /chain/deep/f.conf) 2>/dev/null || echo read-only',
      ].join('; ');
      const r = await runCollect(env.t.rt, {
        image,
        cmd: ['sh', '-c', script],
        mounts: [
          { type: 'tmpfs', target: '/abs/t' },
          { type: 'bind', source: bindDir, target: '/rel/b' },
          { type: 'bind', source: bindFile, target: '/chain/deep/f.conf', readOnly: true },
          { type: 'volume', source: `secmnt-${mode}`, target: '/abs/v', noCopy: true },
        ],
      });
      for (const v of [abs, rel, chained]) expectUntouched(v);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('tmpfs\nbound dir\nbound file\ninside-root\nread-only\n');
      expect(r.code).toBe(0);
      const vol = await env.t.rt.volumes.inspect(`secmnt-${mode}`);
      expect(readdirSync(vol.mountpoint)).toEqual(['written']);
      await env.t.rt.containers.remove(r.id, { force: true });
      await env.t.rt.volumes.remove(`secmnt-${mode}`);
    });

    it('never follows a volume dir that a running container keeps swapping for a link to the host', async () => {
      const target = victim(`race-${mode}`);
      const vol = `race-${mode}`;
      // the other container flips /v/sub between a directory, nothing and a link to the host dir
      const flipper = await env.t.rt.containers.run(
        {
          image: env.image,
          cmd: ['sh', '-c', `while :; do mkdir /v/sub; rmdir /v/sub; ln -s ${target.path} /v/sub; rm /v/sub; done`],
          mounts: [{ type: 'volume', source: vol, target: '/v' }],
        },
        {},
      );
      let started = 0;
      for (let i = 0; i < 25; i++) {
        const r = await runCollect(env.t.rt, {
          image: env.image,
          cmd: ['true'],
          mounts: [
            { type: 'volume', source: vol, target: '/data' },
            { type: 'tmpfs', target: '/data/sub/t' },
          ],
        }).catch((e: Error) => e);
        if (!(r instanceof Error)) started++;
        else expect(r.message).toMatch(/mount point \/data\/sub\/t|mount .* on \/data\/sub\/t/);
        if (!(r instanceof Error)) await env.t.rt.containers.remove(r.id, { force: true });
        expectUntouched(target);
      }
      expect(started).toBeGreaterThan(0);
      await env.t.rt.containers.remove(flipper.id, { force: true });
      for (const c of await env.t.rt.containers.list({ all: true })) await env.t.rt.containers.remove(c.id, { force: true });
      await env.t.rt.volumes.remove(vol, { force: true });
    }, 120_000);

    it('refuses /proc or /dev that is a symlink, with a clear error', async () => {
      for (const dir of ['proc', 'dev'] as const) {
        const target = victim(`${dir}-${mode}`);
        const image = await pushHostile(`${dir}-link-${mode}`, [{ name: dir, type: 'symlink', linkname: target.path }]);
        await expect(runCollect(env.t.rt, { image, cmd: ['true'] })).rejects.toThrow(new RegExp(`/${dir} in the image must be an ordinary directory`));
        expectUntouched(target);
      }
    });

    it("refuses a mount point whose resolved type is not the source's", async () => {
      const image = await pushHostile(`wrong-type-${mode}`, [{ name: 'etc/hosts', type: 'directory' }]);
      await expect(runCollect(env.t.rt, { image, cmd: ['true'] })).rejects.toThrow(
        /mount point \/etc\/hosts in the container is a directory, but the source is a file/,
      );
      const src = join(hostTmp, `dir-src-${mode}`);
      mkdirSync(src);
      await expect(runCollect(env.t.rt, { image: env.image, cmd: ['true'], mounts: [{ type: 'bind', source: src, target: '/etc/passwd' }] })).rejects.toThrow(
        /mount point \/etc\/passwd in the container is not a directory, but the source is a directory/,
      );
    });

    it('refuses a mount target that a link sends into /proc', async () => {
      const image = await pushHostile(`into-proc-${mode}`, [{ name: 'data', type: 'symlink', linkname: '/proc/sys' }]);
      await expect(runCollect(env.t.rt, { image, cmd: ['true'], mounts: [{ type: 'tmpfs', target: '/data' }] })).rejects.toThrow(/resolves into \/proc/);
      const hosts = await pushHostile(`hosts-into-proc-${mode}`, [{ name: 'etc/hosts', type: 'symlink', linkname: '/proc/sys/kernel/core_pattern' }]);
      await expect(runCollect(env.t.rt, { image: hosts, cmd: ['true'] })).rejects.toThrow(/mount point \/etc\/hosts resolves into \/proc/);
    });
  });
}

describe('mount paths at the spec edge', () => {
  it('refuses control characters, relative targets and / with InvalidArgument before anything starts', async () => {
    const bad: { mounts: ContainerCreateSpec['mounts']; error: RegExp }[] = [
      { mounts: [{ type: 'tmpfs', target: '/run\tx' }], error: /invalid tmpfs mount target: path contains a control character: "\/run\\tx"/ },
      { mounts: [{ type: 'tmpfs', target: '/run\nmount=bind' }], error: /control character/ },
      { mounts: [{ type: 'bind', source: '/tmp\tx', target: '/data' }], error: /invalid bind mount source: path contains a control character/ },
      { mounts: [{ type: 'volume', source: '', target: 'data' }], error: /mount path must be absolute/ },
      { mounts: [{ type: 'tmpfs', target: '/a/../../etc' }], error: /may not contain "\.\."/ },
      { mounts: [{ type: 'tmpfs', target: '/' }], error: /destination can't be '\/'/ },
    ];
    const before = (await env.t.rt.containers.list({ all: true })).length;
    for (const b of bad) {
      const err = await env.t.rt.containers.create({ image: env.image, cmd: ['true'], mounts: b.mounts }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgument);
      expect((err as Error).message).toMatch(b.error);
    }
    expect((await env.t.rt.containers.list({ all: true })).length).toBe(before);
  });

  it('refuses an image whose VOLUME path has a control character', async () => {
    const client = new RegistryClient({ registry, insecure: true });
    await pushImage(
      client,
      'skiff-test/volume-tab',
      'latest',
      buildImage([await buildLayer(busyboxEntries())], { ...BUSYBOX_CONFIG, Volumes: { '/data\tnosuid': {} } }),
    );
    const image = `${registry}/skiff-test/volume-tab:latest`;
    await env.t.rt.images.pull(image);
    await expect(env.t.rt.containers.create({ image, cmd: ['true'] })).rejects.toThrow(/invalid VOLUME in the image config: path contains a control character/);
  });
});
