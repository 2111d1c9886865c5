import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image/image-store.js';
import { RegistryClient } from '../src/image/registry-client.js';
import { buildImage, buildLayer, busyboxEntries, BUSYBOX_CONFIG, pushImage, startRegistry, type BuiltImage, type TestRegistry } from '@skiff/test-fixtures';

/** Pulls and pushes against Debian's docker-registry with basic (htpasswd) and token auth. */

const roots: string[] = [];
const registries: TestRegistry[] = [];
let image: BuiltImage;

async function freshStore(): Promise<ImageStore> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-img-auth-'));
  roots.push(root);
  return ImageStore.open({ root, insecureRegistries: registries.map((r) => r.host) });
}

async function registry(auth: 'basic' | 'token'): Promise<TestRegistry & { credentials: { username: string; password: string } }> {
  const reg = await startRegistry({ auth });
  registries.push(reg);
  const client = new RegistryClient({ registry: reg.host, insecure: true, credentials: reg.credentials });
  await pushImage(client, 'skiff-test/busybox', 'latest', image);
  await pushImage(client, 'private/busybox', 'latest', image);
  return reg as TestRegistry & { credentials: { username: string; password: string } };
}

beforeAll(async () => {
  image = buildImage([await buildLayer(busyboxEntries())], BUSYBOX_CONFIG);
});

afterAll(async () => {
  for (const r of registries) await r.stop();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('basic auth (htpasswd)', () => {
  let reg: Awaited<ReturnType<typeof registry>>;
  beforeAll(async () => {
    reg = await registry('basic');
  }, 30_000);

  it('refuses without or with wrong credentials, pulls with them', async () => {
    const store = await freshStore();
    const ref = `${reg.host}/skiff-test/busybox:latest`;
    await expect(store.pull(ref)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/requires a login/) });
    await expect(store.pull(ref, { auth: { username: 'skiff', password: 'wrong' } })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const img = await store.pull(ref, { auth: reg.credentials });
    expect(img.id).toBe(image.configDigest);
    expect(await store.list()).toHaveLength(1);
  });

  it('checks a login like docker login: right credentials pass, wrong ones are refused', async () => {
    const store = await freshStore();
    await expect(store.checkLogin(reg.host, reg.credentials)).resolves.toBeUndefined();
    await expect(store.checkLogin(reg.host, { username: reg.credentials.username, password: 'wrong' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/refused these credentials/),
    });
  });

  it('pushes with credentials', async () => {
    const store = await freshStore();
    const img = await store.pull(`${reg.host}/skiff-test/busybox:latest`, { auth: reg.credentials });
    const target = `${reg.host}/skiff-test/pushed:v1`;
    await store.tag(img.id, target);
    await expect(store.push(target)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const { digest } = await store.push(target, { auth: reg.credentials });
    expect(digest).toBe(img.manifestDigest);
    const back = await (await freshStore()).pull(target, { auth: reg.credentials });
    expect(back.manifestDigest).toBe(digest);
  });
});

describe('token auth (the Docker Hub flow)', () => {
  let reg: Awaited<ReturnType<typeof registry>>;
  beforeAll(async () => {
    reg = await registry('token');
  }, 30_000);

  it('pulls a public repository anonymously with a scoped token', async () => {
    const store = await freshStore();
    const before = reg.tokenServer!.requests.length;
    const img = await store.pull(`${reg.host}/skiff-test/busybox:latest`);
    expect(img.id).toBe(image.configDigest);
    const asked = reg.tokenServer!.requests.slice(before);
    // one token for the repository, reused for the manifest, config and layer requests
    expect(asked).toEqual([{ scopes: ['repository:skiff-test/busybox:pull'], user: undefined }]);
  });

  it('denies an anonymous pull of a private repository like Docker does, allows it with credentials', async () => {
    const store = await freshStore();
    const ref = `${reg.host}/private/busybox:latest`;
    await expect(store.pull(ref)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/pull access denied/) });
    await expect(store.pull(ref, { auth: { username: 'skiff', password: 'nope' } })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await store.list()).toEqual([]);
    const img = await store.pull(ref, { auth: reg.credentials });
    expect(img.repoTags).toEqual([ref]);
    expect(reg.tokenServer!.requests.at(-1)).toEqual({ scopes: ['repository:private/busybox:pull'], user: 'skiff' });
  });

  it('checks a login with an unscoped token, as docker login does', async () => {
    const store = await freshStore();
    const before = reg.tokenServer!.requests.length;
    await expect(store.checkLogin(reg.host, reg.credentials)).resolves.toBeUndefined();
    expect(reg.tokenServer!.requests.slice(before)).toEqual([{ scopes: [], user: 'skiff' }]);
    await expect(store.checkLogin(reg.host, { username: 'skiff', password: 'nope' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(store.checkLogin('127.0.0.1:1', reg.credentials)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('pushes with a pull,push token', async () => {
    const store = await freshStore();
    const img = await store.pull(`${reg.host}/skiff-test/busybox:latest`);
    const target = `${reg.host}/skiff-test/pushed:v1`;
    await store.tag(img.id, target);
    await expect(store.push(target)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await store.push(target, { auth: reg.credentials });
    expect(reg.tokenServer!.requests.at(-1)).toEqual({ scopes: ['repository:skiff-test/pushed:pull,push'], user: 'skiff' });
    expect((await (await freshStore()).pull(target)).id).toBe(img.id);
  });
});
