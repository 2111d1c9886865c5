import { createReadStream } from 'node:fs';
import type { BlobStore } from '../store/blob-store.js';
import type { PullProgress } from '../types.js';
import type { ImageRecord } from './image-index.js';
import type { RegistryClient } from './registry-client.js';

/**
 * Pushes a stored image: every blob the registry lacks (HEAD first, then a monolithic
 * streamed upload), then the manifest under `reference` (a tag or the manifest digest).
 * The manifest is pushed byte for byte as pulled, so its digest stays the same.
 */
export async function pushImage(
  client: RegistryClient,
  blobs: BlobStore,
  image: ImageRecord,
  repo: string,
  reference: string,
  progress: (p: PullProgress) => void = () => {},
): Promise<{ digest: string }> {
  const configSize = await blobs.size(image.configDigest);
  const toPush = [...image.layers.map((l) => ({ digest: l.digest, size: l.size })), { digest: image.configDigest, size: configSize }];
  for (const blob of toPush) {
    if (await client.hasBlob(repo, blob.digest)) {
      progress({ id: blob.digest, status: 'exists', total: blob.size });
      continue;
    }
    progress({ id: blob.digest, status: 'downloading', current: 0, total: blob.size });
    await client.uploadBlob(repo, blob.digest, { size: await blobs.size(blob.digest), open: () => createReadStream(blobs.path(blob.digest)) });
    progress({ id: blob.digest, status: 'done', current: blob.size, total: blob.size });
  }
  await client.putManifest(repo, reference, image.manifestMediaType, await blobs.read(image.manifestDigest));
  return { digest: image.manifestDigest };
}
