/** The image store against the fixture registry: references, pull, hostile layers, tag/remove/prune, push. Misbehaving registries are in image-registry.test.ts. */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image/image-store.js';
import { formatReference, parseReference, registryEndpoint } from '../src/image/reference.js';
import { InvalidArgument } from '../src/errors.js';
import { RegistryClient } from '../src/image/registry-client.js';
import { lgetxattr } from '../src/native/addon.js';
import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, pushImage } from '@skiff/test-fixtures';
import { fixtures, freshStore, host, useImageFixtures } from './image-setup.js';

useImageFixtures();

describe('references', () => {
  it('normalises like Docker', () => {
    expect(parseReference('busybox')).toEqual({ registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: undefined });
    expect(parseReference('user/app:1.2')).toMatchObject({ registry: 'docker.io', repository: 'user/app', tag: '1.2' });
    expect(parseReference('localhost:5000/a/b@sha256:' + 'a'.repeat(64))).toMatchObject({ registry: 'localhost:5000', repository: 'a/b', tag: undefined });
    expect(parseReference('index.docker.io/library/alpine:3')).toMatchObject({ registry: 'docker.io', repository: 'library/alpine' });
    expect(() => parseReference('UPPER/case')).toThrow(/must be lowercase/);
    expect(() => parseReference('a:b:c')).toThrow(/invalid reference/);
    expect(() => parseReference('x@sha256:123')).toThrow(/bad digest/);
    expect(formatReference(parseReference('busybox'))).toBe('docker.io/library/busybox:latest');
    expect(registryEndpoint(parseReference('busybox').registry)).toBe('registry-1.docker.io');
    expect(parseReference('[::1]:5000/a/b:c')).toMatchObject({ registry: '[::1]:5000', repository: 'a/b', tag: 'c' });
    expect(parseReference('127.0.0.1:5000/a:v@sha256:' + 'b'.repeat(64))).toMatchObject({
      registry: '127.0.0.1:5000',
      tag: 'v',
      digest: 'sha256:' + 'b'.repeat(64),
    });
    for (const bad of ['', ' ', 'a//b', '-a', 'a/', 'host:99999999/x', 'a:' + 'x'.repeat(129), 'a@sha512:00']) {
      expect(() => parseReference(bad), bad).toThrow(InvalidArgument);
    }
  });
});

describe('pull', () => {
  it('pulls, stores blobs by digest and shares unpacked layers', async () => {
    const { store, root } = await freshStore();
    const progress: string[] = [];
    const img = await store.pull(`${host}/skiff-test/busybox:latest`, { onProgress: (p) => progress.push(p.status) });
    expect(img.id).toBe(fixtures.busybox.configDigest);
    expect(img.repoTags).toEqual([`${host}/skiff-test/busybox:latest`]);
    expect(img.config.Cmd).toEqual(['sh']);
    expect(progress).toContain('downloading');
    expect(progress).toContain('done');
    const [layer] = await store.layerDirs(img.id);
    expect(statSync(join(layer!, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(statSync(join(layer!, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(existsSync(join(root, 'blobs/sha256', fixtures.busybox.layers[0]!.digest.slice(7)))).toBe(true);
    // the same layer in another image is not downloaded or unpacked again
    const again = await store.pull(`${host}/skiff-test/busybox-docker:latest`);
    expect(again.rootFS.diffIDs).toEqual(img.rootFS.diffIDs);
    expect((await store.layerDirs(again.id))[0]).toBe(layer);
  });

  it('honours whiteouts, opaque dirs, hard links, symlinks, fifos, xattrs, ownership and zstd', async () => {
    const { store } = await freshStore();
    const img = await store.pull(`${host}/skiff-test/layers:latest`);
    const [top, zstd] = await store.layerDirs(img.id);
    expect(await readFile(join(zstd!, 'data/zstd.txt'), 'utf8')).toBe('from a zstd layer\n');
    const wh = lstatSync(join(top!, 'data/remove-me'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lgetxattr(join(top!, 'opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(lstatSync(join(top!, 'data/hard')).ino).toBe(lstatSync(join(top!, 'data/orig')).ino);
    expect(lstatSync(join(top!, 'data/link')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(top!, 'data/fifo')).isFIFO()).toBe(true);
    expect(lgetxattr(join(top!, 'data/xattr'), 'user.skiff')?.toString()).toBe('1');
    const owned = lstatSync(join(top!, 'data/owned'));
    expect([owned.uid, owned.gid, owned.mode & 0o777]).toEqual([1000, 1000, 0o640]);
  });

  it('pulls by digest: no tag, a repo digest, found again by that digest', async () => {
    const { store } = await freshStore();
    const ref = `${host}/skiff-test/busybox@${fixtures.busybox.manifestDigest}`;
    const img = await store.pull(ref);
    expect(img.repoTags).toEqual([]);
    expect(img.repoDigests).toEqual([ref]);
    expect((await store.inspect(ref)).id).toBe(img.id);
    await expect(store.pull(`${host}/skiff-test/busybox@sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pulls the same image twice at once: one download and unpack per layer, both succeed', async () => {
    const { store, root } = await freshStore();
    const [a, b] = await Promise.all([store.pull(`${host}/skiff-test/layers:latest`), store.pull(`${host}/skiff-test/layers:latest`)]);
    expect(a.id).toBe(b.id);
    expect(readdirSync(join(root, 'layers'))).toHaveLength(3);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('picks linux/amd64 from a manifest list', async () => {
    const { store } = await freshStore();
    const img = await store.pull(`${host}/skiff-test/multi:latest`);
    expect(img.id).toBe(fixtures.busybox.configDigest);
  });

  it('reports unknown images and unreachable registries clearly', async () => {
    const { store } = await freshStore();
    await expect(store.pull(`${host}/skiff-test/nope:latest`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.pull(`${host}/skiff-test/busybox:no-such-tag`)).rejects.toThrow(/manifest unknown|not found/);
    await expect(store.pull('127.0.0.1:1/x/y:z')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(store.pull('Bad Ref')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('hostile layers', () => {
  const client = () => new RegistryClient({ registry: host, insecure: true });
  const pushEvil = async (name: string, entries: Parameters<typeof buildLayer>[0]) => {
    const base = await buildLayer(busyboxEntries());
    await pushImage(client(), `skiff-test/${name}`, 'latest', buildImage([base, await buildLayer(entries)], BUSYBOX_CONFIG));
    return `${host}/skiff-test/${name}:latest`;
  };
  const marker = () => `/tmp/skiff-escape-${randomBytes(4).toString('hex')}`;

  it('rejects tar-slip entries', async () => {
    const m = marker();
    const ref = await pushEvil('slip', [{ name: `../../../../../../..${m}`, content: 'pwned' }]);
    const { store, root } = await freshStore();
    await expect(store.pull(ref)).rejects.toThrow(/outside the layer \(tar-slip\)/);
    expect(existsSync(m)).toBe(false);
    expect((await store.list()).length).toBe(0);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('rejects writing through a symlink (symlink escape)', async () => {
    const m = marker();
    const ref = await pushEvil('symlink-escape', [
      { name: 'evil', type: 'symlink', linkname: '/tmp' },
      { name: `evil/${m.slice('/tmp/'.length)}`, content: 'pwned' },
    ]);
    const { store } = await freshStore();
    await expect(store.pull(ref)).rejects.toThrow(/symlink escape/);
    expect(existsSync(m)).toBe(false);
  });

  it('rejects hard links that leave the layer', async () => {
    const ref = await pushEvil('hardlink-escape', [{ name: 'passwd', type: 'link', linkname: '../../../../../etc/passwd' }]);
    const { store } = await freshStore();
    await expect(store.pull(ref)).rejects.toThrow(/tar-slip|not in the layer/);
  });

  it('rejects a layer whose content does not match the config diff id', async () => {
    const base = await buildLayer(busyboxEntries());
    const other = await buildLayer([{ name: 'x', content: 'x' }]);
    await pushImage(client(), 'skiff-test/bad-diffid', 'latest', buildImage([base, other], BUSYBOX_CONFIG, { diffIDs: [base.diffID, base.diffID] }));
    const { store, root } = await freshStore();
    await expect(store.pull(`${host}/skiff-test/bad-diffid:latest`)).rejects.toThrow(/does not match the image config/);
    expect((await store.list()).length).toBe(0);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});

describe('tag, remove, prune', () => {
  it('tags, untags, refuses to delete an image in use, prunes dangling images', async () => {
    const { store, root } = await freshStore();
    const img = await store.pull(`${host}/skiff-test/busybox:latest`);
    await store.tag(`${host}/skiff-test/busybox:latest`, 'mine/box:v1');
    expect((await store.inspect('mine/box:v1')).id).toBe(img.id);
    expect((await store.inspect(img.id.slice(7, 19))).id).toBe(img.id);
    expect(await store.remove('mine/box:v1')).toEqual({ untagged: ['mine/box:v1'], deleted: [] });
    store.setUsageCheck((id) => id === img.id);
    await expect(store.remove(`${host}/skiff-test/busybox:latest`)).rejects.toMatchObject({ code: 'CONFLICT' });
    store.setUsageCheck(() => false);
    await expect(store.remove('nope:latest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const r = await store.remove(`${host}/skiff-test/busybox:latest`);
    expect(r.deleted[0]).toBe(img.id);
    expect(readdirSync(join(root, 'layers'))).toEqual([]);
    expect(readdirSync(join(root, 'blobs/sha256'))).toEqual([]);

    // a re-tag leaves the old image dangling; prune removes it
    await store.pull(`${host}/skiff-test/busybox:latest`);
    const layers = await store.pull(`${host}/skiff-test/layers:latest`);
    await store.tag(layers.id, `${host}/skiff-test/busybox:latest`);
    expect((await store.list({ dangling: true })).map((i) => i.id)).toEqual([img.id]);
    const pruned = await store.prune();
    expect(pruned.deleted).toContain(img.id);
    expect((await store.list()).map((i) => i.id)).toEqual([layers.id]);
  });

  it('removing by digest while a tag remains only drops the digest reference', async () => {
    const { store } = await freshStore();
    const byDigest = `${host}/skiff-test/busybox@${fixtures.busybox.manifestDigest}`;
    await store.pull(byDigest);
    const img = await store.pull(`${host}/skiff-test/busybox:latest`);
    expect(img.repoDigests).toEqual([byDigest]);
    expect(await store.remove(byDigest)).toEqual({ untagged: [byDigest], deleted: [] });
    expect((await store.inspect(img.id)).repoTags).toEqual([`${host}/skiff-test/busybox:latest`]);
    await expect(store.inspect('sha256:' + 'f'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no such image/) });
  });

  it('pushes to a registry; a clean root pulls back the same digests', async () => {
    const { store } = await freshStore();
    const img = await store.pull(`${host}/skiff-test/layers:latest`);
    const target = `${host}/skiff-test/pushed-${randomBytes(3).toString('hex')}:v1`;
    await store.tag(img.id, target);
    const progress: string[] = [];
    const { digest } = await store.push(target, { onProgress: (p) => progress.push(p.status) });
    expect(digest).toBe(img.manifestDigest);
    expect(progress).toContain('done');
    // the second push finds every blob in place
    const again: string[] = [];
    await store.push(target, { onProgress: (p) => again.push(p.status) });
    expect(again.every((s) => s === 'exists')).toBe(true);
    const { store: clean } = await freshStore();
    const back = await clean.pull(target);
    expect(back.id).toBe(img.id);
    expect(back.manifestDigest).toBe(img.manifestDigest);
    expect(back.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
  });

  it('keeps working after a reopen (index on disk)', async () => {
    const { store, root } = await freshStore();
    await store.pull(`${host}/skiff-test/busybox:latest`);
    const reopened = await ImageStore.open({ root, insecureRegistries: [host] });
    expect((await reopened.list()).map((i) => i.repoTags[0])).toEqual([`${host}/skiff-test/busybox:latest`]);
    writeFileSync(join(root, 'images/index.json'), '{"images": [');
    await expect(ImageStore.open({ root, insecureRegistries: [] })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/index.json is corrupt/),
    });
  });
});
