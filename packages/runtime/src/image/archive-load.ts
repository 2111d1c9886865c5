import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { InvalidArgument } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { digestHex, sha256 } from '../store/blob-store.js';
import type { ImageConfig } from '../types.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, archiveManifest, blobPath, type DockerArchiveEntry } from './archive-format.js';
import type { StagedArchive, StagedFile } from './archive-staging.js';
import { chainIDs } from './chain-id.js';
import { detectCompression } from './decompress.js';
import type { ImageRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';
import { isIndex, selectPlatform, validateManifest, type Descriptor, type ImageIndexManifest, type ImageManifest } from './manifest.js';
import { familiarTag, parseReference } from './reference.js';
import { MAX_MANIFEST_BYTES, MEDIA } from './registry-client.js';

interface ConfigBlob {
  created?: string;
  architecture?: string;
  os?: string;
  config?: ImageConfig;
  rootfs?: { type: string; diff_ids: string[] };
}

/** An image found in an archive, every file of it verified against its digest. */
export interface ParsedImage {
  configDigest: string;
  config: ConfigBlob;
  configFile: StagedFile;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  layers: { file: StagedFile; digest: string; diffID: string; size: number; mediaType: string }[];
  tags: string[];
}

export interface LoadContext {
  blobs: BlobStore;
  layers: LayerStore;
  /** keeps a digest or ChainID from garbage collection while the load runs */
  pin(digest: string): void;
}

/**
 * The images of a staged archive: from manifest.json when there is one (docker-archive,
 * old `<id>/layer.tar` layouts included; what `docker load` reads), else from an OCI
 * layout's index.json. Only reads and checks; nothing enters the store.
 */
export async function parseArchive(staged: StagedArchive): Promise<ParsedImage[]> {
  let images: ParsedImage[];
  if (staged.has('manifest.json')) images = await parseDockerArchive(staged);
  else if (staged.has('index.json')) images = await parseOciLayout(staged);
  else throw new InvalidArgument('not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI image layout)');
  if (images.length === 0) throw new InvalidArgument('the image archive holds no image');
  return images;
}

const NAMED_BY_CONTENT = [/^blobs\/sha256\/([a-f0-9]{64})$/, /^([a-f0-9]{64})\.json$/];

/** A file whose name is its digest must hash to it. */
function checkNamedDigest(name: string, file: StagedFile): void {
  for (const re of NAMED_BY_CONTENT) {
    const m = re.exec(name.replace(/^(\.\/)+/, ''));
    if (m && `sha256:${m[1]}` !== file.digest) throw new InvalidArgument(`digest mismatch: ${name} in the archive hashes to ${file.digest}`);
  }
}

function checkDescriptor(d: Descriptor, file: StagedFile, what: string): void {
  if (file.digest !== d.digest) throw new InvalidArgument(`digest mismatch for ${what}: ${blobPath(d.digest)} hashes to ${file.digest}`);
  if (typeof d.size === 'number' && file.size !== d.size)
    throw new InvalidArgument(`size mismatch for ${what} ${d.digest}: ${file.size} bytes, the descriptor says ${d.size}`);
}

async function compressionOf(file: StagedFile): Promise<'gzip' | 'zstd' | 'none'> {
  const fh = await open(file.path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

const LAYER_TYPE = { gzip: MEDIA.ociLayerGzip, zstd: MEDIA.ociLayerZstd, none: MEDIA.ociLayer } as const;

function tagsOf(names: unknown, where: string): string[] {
  if (names === null || names === undefined) return [];
  if (!Array.isArray(names)) throw new InvalidArgument(`${where}: RepoTags must be a list`);
  return names.map((n) => {
    if (typeof n !== 'string') throw new InvalidArgument(`${where}: RepoTags must be strings`);
    const ref = parseReference(n);
    if (ref.digest) throw new InvalidArgument(`${where}: "${n}" is not a tag`);
    return familiarTag(ref);
  });
}

function diffIDsOf(config: ConfigBlob, layers: number, what: string): string[] {
  const diffIDs = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs) || diffIDs.length !== layers) {
    throw new InvalidArgument(`${what} is inconsistent: ${layers} layers but ${Array.isArray(diffIDs) ? diffIDs.length : 'no'} diff ids in its config`);
  }
  for (const d of diffIDs) digestHex(d); // throws on a malformed one
  return diffIDs;
}

async function parseDockerArchive(staged: StagedArchive): Promise<ParsedImage[]> {
  const { value: entries } = await staged.readJson<DockerArchiveEntry[]>('manifest.json', 'manifest.json', MAX_MANIFEST_BYTES);
  if (!Array.isArray(entries)) throw new InvalidArgument('manifest.json in the archive is not a list of images');
  const out: ParsedImage[] = [];
  for (const [i, e] of entries.entries()) {
    const where = `manifest.json entry ${i}`;
    if (!e || typeof e.Config !== 'string' || !Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) {
      throw new InvalidArgument(`${where} needs Config and Layers`);
    }
    const cfg = await staged.readJson<ConfigBlob>(e.Config, `image config ${e.Config}`, MAX_MANIFEST_BYTES);
    checkNamedDigest(e.Config, cfg.file);
    const diffIDs = diffIDsOf(cfg.value, e.Layers.length, `image ${cfg.file.digest}`);
    const layers: ParsedImage['layers'] = [];
    for (const [j, name] of e.Layers.entries()) {
      const file = staged.get(name, `layer ${name}`);
      checkNamedDigest(name, file);
      layers.push({ file, digest: file.digest, diffID: diffIDs[j]!, size: file.size, mediaType: LAYER_TYPE[await compressionOf(file)] });
    }
    const manifest = archiveManifest({ digest: cfg.file.digest, size: cfg.file.size }, layers);
    out.push({
      configDigest: cfg.file.digest,
      config: cfg.value,
      configFile: cfg.file,
      manifest,
      manifestDigest: sha256(manifest),
      manifestMediaType: MEDIA.ociManifest,
      layers,
      tags: tagsOf(e.RepoTags, where),
    });
  }
  return out;
}

async function readBlobJson<T>(staged: StagedArchive, d: Descriptor, what: string): Promise<{ value: T; raw: Buffer; file: StagedFile }> {
  if (!d || typeof d.digest !== 'string') throw new InvalidArgument(`${what}: descriptor without a digest`);
  digestHex(d.digest);
  const doc = await staged.readJson<T>(blobPath(d.digest), what, MAX_MANIFEST_BYTES);
  checkDescriptor(d, doc.file, what);
  return doc;
}

/** The name an OCI layout gives a manifest: containerd's full name, else a ref.name that is a full reference. */
function ociName(d: Descriptor & { annotations?: Record<string, string> }): string | undefined {
  const a = d.annotations ?? {};
  const full = a[ANNOTATION_CONTAINERD_NAME];
  const ref = a[ANNOTATION_REF_NAME];
  // a bare ref.name ("latest") is only a tag: without a repository the image loads unnamed (Docker's rule)
  const name = full ?? (ref && /[:/]/.test(ref) ? ref : undefined);
  return name ? tagsOf([name], `index.json entry ${d.digest}`)[0] : undefined;
}

async function parseOciLayout(staged: StagedArchive): Promise<ParsedImage[]> {
  if (staged.has('oci-layout')) {
    const { value } = await staged.readJson<{ imageLayoutVersion?: string }>('oci-layout', 'oci-layout', 4096);
    if (typeof value?.imageLayoutVersion !== 'string') throw new InvalidArgument('oci-layout in the archive has no imageLayoutVersion');
  }
  const { value: index } = await staged.readJson<ImageIndexManifest>('index.json', 'index.json', MAX_MANIFEST_BYTES);
  if (!index || !Array.isArray(index.manifests)) throw new InvalidArgument('index.json in the archive has no manifests list');
  const byConfig = new Map<string, ParsedImage>();
  for (const top of index.manifests as (Descriptor & { annotations?: Record<string, string> })[]) {
    const name = ociName(top);
    let desc: Descriptor = top;
    if (isIndex(top.mediaType, {})) {
      const nested = await readBlobJson<ImageIndexManifest>(staged, top, `image index ${top.digest}`);
      if (!Array.isArray(nested.value.manifests)) throw new InvalidArgument(`image index ${top.digest} has no manifests list`);
      desc = selectPlatform(nested.value, name ?? top.digest);
    }
    const m = await readBlobJson<ImageManifest>(staged, desc, `manifest ${desc.digest}`);
    validateManifest(m.value, desc.digest);
    const what = `image ${m.value.config.digest}`;
    const cfg = await readBlobJson<ConfigBlob>(staged, m.value.config, `config of manifest ${desc.digest}`);
    const diffIDs = diffIDsOf(cfg.value, m.value.layers.length, what);
    const layers = m.value.layers.map((l, j) => {
      digestHex(l.digest);
      const file = staged.get(blobPath(l.digest), `layer ${l.digest}`);
      checkDescriptor(l, file, `layer ${j} of ${what}`);
      return { file, digest: l.digest, diffID: diffIDs[j]!, size: file.size, mediaType: l.mediaType || MEDIA.ociLayerGzip };
    });
    const image = byConfig.get(cfg.file.digest) ?? {
      configDigest: cfg.file.digest,
      config: cfg.value,
      configFile: cfg.file,
      manifest: m.raw,
      manifestDigest: desc.digest,
      manifestMediaType: m.value.mediaType || desc.mediaType || MEDIA.ociManifest,
      layers,
      tags: [],
    };
    if (name && !image.tags.includes(name)) image.tags.push(name);
    byConfig.set(image.configDigest, image);
  }
  return [...byConfig.values()];
}

/** Moves a verified staged file into the blob store (unless it is there already). */
async function adopt(blobs: BlobStore, file: StagedFile): Promise<void> {
  if (await blobs.has(file.digest)) return;
  await rename(file.path, blobs.path(file.digest)).catch(async (e: NodeJS.ErrnoException) => {
    // moved already for another image of this archive
    if (e.code !== 'ENOENT' || !(await blobs.has(file.digest))) throw e;
  });
}

/**
 * Puts one parsed image's blobs into the store and unpacks its layers (each checked
 * against its diffID). Returns the record to register; the caller registers it.
 */
export async function materialize(ctx: LoadContext, img: ParsedImage): Promise<Omit<ImageRecord, 'repoTags' | 'repoDigests'>> {
  const chains = chainIDs(img.layers.map((l) => l.diffID));
  for (const d of [img.configDigest, img.manifestDigest, ...img.layers.map((l) => l.digest), ...chains]) ctx.pin(d);
  await adopt(ctx.blobs, img.configFile);
  let size = 0;
  for (const [i, l] of img.layers.entries()) {
    await adopt(ctx.blobs, l.file);
    const { meta } = await ctx.layers.ensure({ chainID: chains[i]!, parent: chains[i - 1], diffID: l.diffID, digest: l.digest }, () =>
      createReadStream(ctx.blobs.path(l.digest)),
    );
    size += meta.size;
  }
  await ctx.blobs.putBuffer(img.manifest);
  return {
    id: img.configDigest,
    manifestDigest: img.manifestDigest,
    manifestMediaType: img.manifestMediaType,
    configDigest: img.configDigest,
    layers: img.layers.map((l) => ({ digest: l.digest, diffID: l.diffID, size: l.size, mediaType: l.mediaType })),
    chainIDs: chains,
    created: img.config.created ?? new Date(0).toISOString(),
    architecture: img.config.architecture ?? 'amd64',
    os: img.config.os ?? 'linux',
    config: img.config.config ?? {},
    size,
  };
}
