/** zstd layers through a pull or a load and a push (issue 24): a real tool (skopeo) makes and reads the images. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageIndex, ImageRecord } from '../src/image/image-index.js';
import { compressForPush } from '../src/image/push-compress.js';
import { MEDIA } from '../src/image/registry-client.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { freshStore, host, useImageFixtures } from './image-setup.js';

useImageFixtures();

const skopeo = (args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });

interface Manifest {
  mediaType?: string;
  layers: { mediaType: string; digest: string; size: number }[];
}
const rawManifest = (ref: string) => JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])) as Manifest;

describe('zstd layers', () => {
  it('a pulled or loaded zstd image is pushed with its zstd layers as they were: same media type, same digests', async () => {
    const tag = randomBytes(3).toString('hex');
    const source = `${host}/skiff-test/zstd-${tag}:v1`;
    // skopeo recompresses the busybox fixture's layer as zstd (an OCI manifest: Docker's has no zstd type)
    skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--format',
      'oci',
      '--dest-compress-format',
      'zstd',
      `docker://${host}/skiff-test/busybox:latest`,
      `docker://${source}`,
    ]);
    const made = rawManifest(source);
    expect(made.layers.map((l) => l.mediaType)).toEqual([MEDIA.ociLayerZstd]);

    const { store } = await freshStore();
    const img = await store.pull(source);
    expect((await store.layerDirs(img.id)).length).toBe(1); // unpacked: the zstd was decoded
    const target = `${host}/skiff-test/zstd-pushed-${tag}:v1`;
    await store.tag(img.id, target);
    const { digest } = await store.push(target);
    expect(digest).toBe(img.manifestDigest); // the manifest byte for byte, so the layers too
    const pushed = rawManifest(target);
    expect(pushed.layers).toEqual(made.layers.map((l) => expect.objectContaining({ mediaType: MEDIA.ociLayerZstd, digest: l.digest, size: l.size })));
    // and skopeo reads the pushed image's zstd blob back as the same bytes
    const pushedDigest = skopeo(['inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${target}`]).trim();
    expect(pushedDigest).toBe(img.manifestDigest);

    // loaded from an OCI archive (skopeo's, zstd kept), then pushed: the same zstd blobs again
    const dir = await mkdtemp(join(tmpdir(), 'skiff-zstd-'));
    try {
      const archive = join(dir, 'image.tar');
      skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${source}`, `oci-archive:${archive}:skiff-test/zstd-loaded:v1`]);
      const { store: other } = await freshStore();
      const { loaded } = await other.load(createReadStream(archive));
      const loadedTarget = `${host}/skiff-test/zstd-loaded-${tag}:v1`;
      await other.tag(loaded[0]!, loadedTarget);
      await other.push(loadedTarget);
      expect(rawManifest(loadedTarget).layers).toEqual(
        made.layers.map((l) => expect.objectContaining({ mediaType: MEDIA.ociLayerZstd, digest: l.digest, size: l.size })),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('push --compression zstd', () => {
  it('an imported plain-tar image goes out as tar+zstd, with the same digests every push and from another store', async () => {
    const tag = randomBytes(3).toString('hex');
    const dir = await mkdtemp(join(tmpdir(), 'skiff-zstd-import-'));
    try {
      const files = join(dir, 'rootfs');
      await mkdir(join(files, 'etc'), { recursive: true });
      await writeFile(join(files, 'etc', 'hello'), 'hello from a zstd layer\n'.repeat(2000));
      await writeFile(join(files, 'random'), randomBytes(300_000));
      const tarFile = join(dir, 'rootfs.tar');
      execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', files, '-cf', tarFile, '.']);

      const { store } = await freshStore();
      const target = `${host}/skiff-test/zstd-import-${tag}:v1`;
      const { id } = await store.import(createReadStream(tarFile), { ref: target });
      const diffIDs = (await store.inspect(id)).rootFS.diffIDs;
      // the same image under a Docker schema2 manifest: no zstd layer type there, so refused
      const internals = store as unknown as { find(ref: string): { image: ImageRecord }; blobs: BlobStore; index: ImageIndex; pins: Set<Set<string>> };
      const asDocker = { ...internals.find(target).image, manifestMediaType: MEDIA.dockerManifest };
      await expect(compressForPush(internals, asDocker, 'zstd')).rejects.toThrow(/Docker v2 schema2 manifest.*OCI manifest/);
      const { digest } = await store.push(target, { compression: 'zstd' });
      const pushed = rawManifest(target);
      expect(pushed.mediaType).toBe(MEDIA.ociManifest);
      expect(pushed.layers.map((l) => l.mediaType)).toEqual([MEDIA.ociLayerZstd]);
      // skopeo reads the zstd blob back (it decompresses and checks the diffID against the config)
      skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${target}`, `dir:${join(dir, 'copied')}`]);

      // the record keeps the zstd form: a second push sends the same manifest
      expect((await store.push(target, { compression: 'zstd' })).digest).toBe(digest);
      // another store compresses the same tar anew to the same bytes (its config, with its
      // own creation time, differs: the layer is what must agree)
      const { store: other } = await freshStore();
      const otherTarget = `${host}/skiff-test/zstd-import-other-${tag}:v1`;
      await other.import(createReadStream(tarFile), { ref: otherTarget });
      await other.push(otherTarget, { compression: 'zstd' });
      expect(rawManifest(otherTarget).layers).toEqual(pushed.layers);

      // pulled back into a clean store: the zstd layer is decoded to the same diffIDs
      const { store: clean } = await freshStore();
      const back = await clean.pull(target);
      expect(back.manifestDigest).toBe(digest);
      expect((await clean.inspect(back.id)).rootFS.diffIDs).toEqual(diffIDs);
      expect((await clean.layerDirs(back.id)).length).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
