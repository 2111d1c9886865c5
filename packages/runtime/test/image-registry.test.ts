/** The image store against scripted registries that misbehave: digest mismatches, truncation, aborts, kills, oversized manifests, auth challenges. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image/image-store.js';
import { waitFor } from './helpers.js';
import { startFakeRegistry, buildImage, buildLayer, BUSYBOX_CONFIG } from '@skiff/test-fixtures';
import { assertNothingLeft, fixtures, freshStore, host, roots, useImageFixtures } from './image-setup.js';

useImageFixtures();

describe('scripted registries', () => {
  const image = () => buildImage([fixtures.busybox.layers[0]!], BUSYBOX_CONFIG);

  it('detects a digest mismatch and leaves nothing behind', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, corrupt: img.layers[0]!.digest });
    try {
      const { store, root } = await freshStore([fake.host]);
      await expect(store.pull(`${fake.host}/test/image:latest`)).rejects.toThrow(/digest mismatch/);
      assertNothingLeft(root);
      expect(existsSync(join(root, 'blobs/sha256', img.layers[0]!.digest.slice(7)))).toBe(false);
    } finally {
      await fake.stop();
    }
  });

  it('detects a truncated blob', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, truncate: img.layers[0]!.digest });
    try {
      const { store, root } = await freshStore([fake.host]);
      await expect(store.pull(`${fake.host}/test/image:latest`)).rejects.toThrow(/truncated/);
      assertNothingLeft(root);
    } finally {
      await fake.stop();
    }
  });

  it('an aborted pull leaves nothing half-visible', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, stall: img.layers[0]!.digest });
    try {
      const { store, root } = await freshStore([fake.host]);
      const ac = new AbortController();
      const pulling = store.pull(`${fake.host}/test/image:latest`, { signal: ac.signal });
      setTimeout(() => ac.abort(), 500);
      await expect(pulling).rejects.toThrow();
      assertNothingLeft(root);
      expect(await store.list()).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  it('cuts off a blob longer than its descriptor', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, oversize: img.layers[0]!.digest });
    try {
      const { store, root } = await freshStore([fake.host]);
      await expect(store.pull(`${fake.host}/test/image:latest`)).rejects.toThrow(/oversized/);
      assertNothingLeft(root);
      expect(existsSync(join(root, 'blobs/sha256', img.layers[0]!.digest.slice(7)))).toBe(false);
    } finally {
      await fake.stop();
    }
  });

  it('a pull killed with SIGKILL leaves nothing visible once the store reopens', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, stall: img.layers[0]!.digest });
    const root = await mkdtemp(join(tmpdir(), 'skiff-img-'));
    roots.push(root);
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'programs/pull-child.ts'), root, `${fake.host}/test/image:latest`, fake.host], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => child.once('exit', r));
      await waitFor(async () => out.includes('"downloading"') && readdirSync(join(root, 'tmp')).length > 0, 15_000, 'the child to start downloading');
      child.kill('SIGKILL');
      await exited;
      const store = await ImageStore.open({ root, insecureRegistries: [fake.host] });
      expect(await store.list()).toEqual([]);
      assertNothingLeft(root);
      expect(existsSync(join(root, 'blobs/sha256', img.layers[0]!.digest.slice(7)))).toBe(false);
    } finally {
      await fake.stop();
    }
  });

  it('an aborted pull does not break a concurrent pull of the same layer', async () => {
    const img = image();
    const fake = await startFakeRegistry({ image: img, stallFirst: img.layers[0]!.digest });
    try {
      const { store, root } = await freshStore([fake.host]);
      const ref = `${fake.host}/test/image:latest`;
      const ac = new AbortController();
      const first = store.pull(ref, { signal: ac.signal });
      first.catch(() => {});
      await waitFor(async () => fake.requests.some((r) => r.endsWith(img.layers[0]!.digest)), 10_000, 'the first pull to download');
      let waiting = false;
      const second = store.pull(ref, { onProgress: (p) => (waiting ||= p.status === 'waiting') });
      await waitFor(async () => waiting, 10_000, 'the second pull to reach the layers');
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      await expect(first).rejects.toThrow();
      expect((await second).id).toBe(img.configDigest);
      expect(readdirSync(join(root, 'layers'))).toHaveLength(1);
    } finally {
      await fake.stop();
    }
  });

  it('removing another image mid-pull keeps what the pull already stored', async () => {
    const other = buildImage([await buildLayer([{ name: 'only-here', content: randomBytes(8).toString('hex') }])], { Cmd: ['/only-here'] });
    const fake = await startFakeRegistry({ image: other, stall: other.layers[0]!.digest });
    try {
      const { store } = await freshStore([host, fake.host]);
      const busybox = await store.pull(`${host}/skiff-test/busybox:latest`);
      const ac = new AbortController();
      const pulling = store.pull(`${fake.host}/test/image:latest`, { signal: ac.signal });
      pulling.catch(() => {});
      await waitFor(async () => fake.requests.some((r) => r.endsWith(other.layers[0]!.digest)), 10_000, 'the pull to reach its layer');
      expect(await store.blobs.has(other.configDigest)).toBe(true);
      await store.remove(busybox.id);
      expect(await store.blobs.has(other.configDigest)).toBe(true);
      ac.abort();
      await expect(pulling).rejects.toThrow();
    } finally {
      await fake.stop();
    }
  });

  it('refuses oversized manifests and non-image artifacts', async () => {
    const img = image();
    for (const [manifest, message] of [
      [Buffer.alloc(5 * 1024 * 1024, 0x20), /larger than 4194304 bytes/],
      [
        Buffer.from(
          JSON.stringify({
            ...JSON.parse(img.manifest.toString()),
            config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: img.configDigest, size: img.config.length },
          }),
        ),
        /not a container image/,
      ],
      [Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), /only schema 2/],
      [Buffer.from('not json'), /not valid JSON/],
    ] as const) {
      const fake = await startFakeRegistry({ image: img, manifest });
      try {
        const { store, root } = await freshStore([fake.host]);
        await expect(store.pull(`${fake.host}/test/image:latest`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
        expect(readdirSync(join(root, 'blobs/sha256'))).toEqual([]);
      } finally {
        await fake.stop();
      }
    }
  });

  it('follows the bearer token challenge (the Docker Hub flow)', async () => {
    const fake = await startFakeRegistry({ image: image(), auth: { kind: 'bearer' } });
    try {
      const { store } = await freshStore([fake.host]);
      const img = await store.pull(`${fake.host}/test/image:latest`);
      expect(img.id).toBe(fixtures.busybox.configDigest);
      expect(fake.tokenRequests[0]).toContain('scope=repository%3Atest%2Fimage%3Apull');
      expect(fake.tokenRequests[0]).toContain('service=fake-registry');
    } finally {
      await fake.stop();
    }
  });

  it('uses credentials for bearer tokens and basic auth, and fails clearly without them', async () => {
    const auth = { username: 'ci', password: 's3cret' };
    for (const kind of ['bearer', 'basic'] as const) {
      const fake = await startFakeRegistry({ image: image(), auth: { kind, ...auth } });
      try {
        const { store } = await freshStore([fake.host]);
        await expect(store.pull(`${fake.host}/test/image:latest`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
        const img = await store.pull(`${fake.host}/test/image:latest`, { auth });
        expect(img.id).toBe(fixtures.busybox.configDigest);
      } finally {
        await fake.stop();
      }
    }
  });
});
