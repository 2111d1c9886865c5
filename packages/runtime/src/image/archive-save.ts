import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { SkiffError } from '../errors.js';
import { digestHex, sha256, type BlobStore } from '../store/blob-store.js';
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  archiveManifest,
  blobPath,
  OCI_LAYOUT,
  type ArchiveLayer,
  type DockerArchiveEntry,
} from './archive-format.js';
import { decompressorFor } from './decompress.js';
import type { ImageRecord } from './image-index.js';
import { formatReference, parseReference } from './reference.js';
import { MEDIA } from './registry-client.js';

/** One image to save with the names it is saved under (none when it was named by id). */
export interface SaveItem {
  image: ImageRecord;
  tags: string[];
}

const MTIME = new Date(0);

/**
 * Streams the images as one tar that is a docker-archive and an OCI layout at once (the
 * Docker 25+ `docker save` layout). Layers are written uncompressed, as Docker does, so a
 * layer's blob digest is its diffID in both views. Nothing is buffered beyond one JSON
 * document: every layer is decompressed twice, once to learn its size for the tar header
 * (and check it against the diffID), once into the archive.
 */
export function saveArchive(blobs: BlobStore, items: SaveItem[], done: () => void): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pack.pipe(out);
  void (async () => {
    const written = new Map<string, number>();
    const manifestJson: DockerArchiveEntry[] = [];
    const index: Record<string, unknown>[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, tags } of items) {
      const layers: ArchiveLayer[] = [];
      for (const l of image.layers) {
        const size = await writeLayer(pack, blobs, l, written);
        layers.push({ mediaType: MEDIA.ociLayer, digest: l.diffID, size });
      }
      const config = await blobs.read(image.configDigest);
      await addOnce(pack, written, blobPath(image.configDigest), config);
      const manifest = archiveManifest({ digest: image.configDigest, size: config.length }, layers);
      const manifestDigest = sha256(manifest);
      await addOnce(pack, written, blobPath(manifestDigest), manifest);
      const descriptor = { mediaType: MEDIA.ociManifest, digest: manifestDigest, size: manifest.length };
      if (tags.length === 0) index.push(descriptor);
      for (const t of tags) {
        const ref = parseReference(t);
        index.push({ ...descriptor, annotations: { [ANNOTATION_CONTAINERD_NAME]: formatReference(ref), [ANNOTATION_REF_NAME]: ref.tag ?? 'latest' } });
        const repo = t.slice(0, t.length - (ref.tag ?? 'latest').length - 1);
        (repositories[repo] ??= {})[ref.tag ?? 'latest'] = digestHex(image.layers[image.layers.length - 1]?.diffID ?? image.configDigest);
      }
      manifestJson.push({ Config: blobPath(image.configDigest), RepoTags: tags.length ? tags : null, Layers: image.layers.map((l) => blobPath(l.diffID)) });
    }
    await addFile(pack, 'index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: index })));
    await addFile(pack, 'manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await addFile(pack, 'oci-layout', Buffer.from(JSON.stringify(OCI_LAYOUT)));
    if (Object.keys(repositories).length) await addFile(pack, 'repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
  })().catch((e: unknown) => {
    // the consumer sees a failed stream (a truncated archive never looks complete)
    out.destroy(e as Error);
    pack.destroy();
  });
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      done();
    }
  };
  out.once('end', finish);
  out.once('close', finish);
  out.once('error', finish);
  return out;
}

function addFile(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime: MTIME }, data, (e) => (e ? reject(e) : resolve())));
}

async function addOnce(pack: tar.Pack, written: Map<string, number>, name: string, data: Buffer): Promise<void> {
  if (written.has(name)) return;
  written.set(name, data.length);
  await addFile(pack, name, data);
}

/** Writes one layer as an uncompressed tar under blobs/sha256/<diffID> (once per archive). */
async function writeLayer(pack: tar.Pack, blobs: BlobStore, layer: ImageRecord['layers'][number], written: Map<string, number>): Promise<number> {
  const name = blobPath(layer.diffID);
  const known = written.get(name);
  if (known !== undefined) return known;
  const file = blobs.path(layer.digest);
  // first pass: the uncompressed size, and the content checked against the diffID
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await openUncompressed(file)) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  if (`sha256:${hash.digest('hex')}` !== layer.diffID) {
    throw new SkiffError('INTERNAL', `stored layer ${layer.digest} is corrupt: its content does not match diffID ${layer.diffID}`);
  }
  written.set(name, size);
  const source = await openUncompressed(file);
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME }, (e) => (e ? reject(e) : resolve()));
    source.once('error', (e) => {
      entry.destroy(e);
      reject(e);
    });
    source.pipe(entry as unknown as NodeJS.WritableStream);
  });
  return size;
}

/** A stored layer blob as its uncompressed tar. */
async function openUncompressed(file: string): Promise<Readable> {
  const input = createReadStream(file);
  const stage = await decompressorFor(input);
  if (!stage) return input;
  if (typeof stage === 'function') return Readable.from(stage(input));
  input.once('error', (e) => stage.destroy(e));
  return input.pipe(stage);
}
