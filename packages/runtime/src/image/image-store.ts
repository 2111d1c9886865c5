import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound } from '../errors.js';
import { BlobStore, digestHex, sha256 } from '../store/blob-store.js';
import type { ImageConfig, ImageInspect, ImageService, ImageSummary, PullProgress, RuntimeEvent } from '../types.js';
import { chainIDs } from './chain-id.js';
import { ImageIndex, type ImageRecord, type LayerRecord } from './image-index.js';
import { unpackLayer } from './layer-unpack.js';
import { isIndex, parseJson, selectPlatform, validateManifest, type ImageIndexManifest, type ImageManifest } from './manifest.js';
import { familiarName, familiarTag, formatReference, parseReference, type ImageReference } from './reference.js';
import type { Credentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';

interface ImageConfigBlob {
  created?: string;
  architecture?: string;
  os?: string;
  config?: ImageConfig;
  rootfs?: { type: string; diff_ids: string[] };
}

export interface ImageStoreOptions {
  root: string;
  insecureRegistries: string[];
  emit?: (e: Omit<RuntimeEvent, 'time'>) => void;
}

const PARALLEL_LAYERS = 3;

/**
 * Images on disk: blobs, unpacked layers (one directory per ChainID, shared by every
 * image and container that uses it) and the image index. Implements pull and push over
 * the OCI Distribution API.
 */
export class ImageStore implements ImageService {
  readonly blobs: BlobStore;
  private readonly index: ImageIndex;
  private readonly layersDir: string;
  private readonly inflightLayers = new Map<string, Promise<number>>();
  private isUsed: (imageId: string) => boolean = () => false;

  private constructor(private readonly opts: ImageStoreOptions) {
    this.blobs = new BlobStore(opts.root);
    this.index = new ImageIndex(opts.root);
    this.layersDir = join(opts.root, 'layers');
  }

  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    const s = new ImageStore(opts);
    await s.blobs.init();
    await mkdir(s.layersDir, { recursive: true });
    await s.index.load();
    // leftovers of pulls that were killed midway are never referenced: clear them
    await rm(s.blobs.tmp, { recursive: true, force: true });
    await mkdir(s.blobs.tmp, { recursive: true });
    return s;
  }

  setUsageCheck(fn: (imageId: string) => boolean): void {
    this.isUsed = fn;
  }

  private emit(action: string, id: string, name: string): void {
    this.opts.emit?.({ type: 'image', action, id, attributes: { name } });
  }

  private client(ref: ImageReference, credentials?: Credentials): RegistryClient {
    const host = ref.registry.replace(/:\d+$/, '');
    const insecure = this.opts.insecureRegistries.includes(ref.registry) || host === 'localhost' || /^127\./.test(host) || host === '::1';
    return new RegistryClient({ registry: ref.registry, insecure, credentials });
  }

  layerDir(chainID: string): string {
    return join(this.layersDir, digestHex(chainID));
  }

  // ---- pull -------------------------------------------------------------------------

  async pull(
    refStr: string,
    opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: Credentials } = {},
  ): Promise<ImageInspect> {
    const ref = parseReference(refStr);
    const progress = opts.onProgress ?? (() => {});
    const client = this.client(ref, opts.auth);
    const name = formatReference(ref);
    progress({ id: 'manifest', status: 'resolving' });

    const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag!);
    const topDigest = sha256(top.body);
    if (ref.digest && topDigest !== ref.digest) throw new InvalidArgument(`manifest digest mismatch for ${name}: got ${topDigest}`);
    let manifestBody = top.body;
    let manifestMediaType = top.mediaType;
    let manifestDigest = topDigest;
    const topJson = parseJson<ImageManifest & ImageIndexManifest>(top.body, `manifest of ${name}`);
    if (isIndex(top.mediaType, topJson)) {
      const chosen = selectPlatform(topJson, name);
      const m = await client.getManifest(ref.repository, chosen.digest);
      if (sha256(m.body) !== chosen.digest) throw new InvalidArgument(`manifest digest mismatch for ${name} (linux/amd64): got ${sha256(m.body)}`);
      manifestBody = m.body;
      manifestMediaType = m.mediaType || chosen.mediaType;
      manifestDigest = chosen.digest;
    }
    const manifest = parseJson<ImageManifest>(manifestBody, `manifest of ${name}`);
    validateManifest(manifest, name);
    await this.blobs.putBuffer(manifestBody);
    if (manifestBody !== top.body) await this.blobs.putBuffer(top.body);

    const configDigest = manifest.config.digest;
    if (!(await this.blobs.has(configDigest))) {
      const { stream } = await client.getBlob(ref.repository, configDigest, opts.signal);
      await this.blobs.putStream(configDigest, stream, { size: manifest.config.size, signal: opts.signal });
    }
    const configBlob = parseJson<ImageConfigBlob>(await this.blobs.read(configDigest), `config of ${name}`);
    const diffIDs = configBlob.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== manifest.layers.length) {
      throw new InvalidArgument(`image ${name} is inconsistent: ${manifest.layers.length} layers but ${diffIDs.length} diff ids`);
    }
    const chains = chainIDs(diffIDs);

    let unpackedTotal = 0;
    const tasks = manifest.layers.map((layer, i) => async () => {
      unpackedTotal += await this.ensureLayer(client, ref.repository, layer, diffIDs[i]!, chains[i]!, progress, opts.signal);
    });
    await runLimited(tasks, PARALLEL_LAYERS);

    const layers: LayerRecord[] = manifest.layers.map((l, i) => ({ digest: l.digest, diffID: diffIDs[i]!, size: l.size, mediaType: l.mediaType }));
    const id = configDigest;
    const tag = ref.tag ? familiarTag(ref) : undefined;
    const repoDigest = `${familiarName(ref)}@${topDigest}`;
    await this.index.update((images) => {
      const existing = images.get(id);
      if (tag) for (const other of images.values()) if (other.id !== id) other.repoTags = other.repoTags.filter((t) => t !== tag);
      const record: ImageRecord = existing ?? {
        id,
        repoTags: [],
        repoDigests: [],
        manifestDigest,
        manifestMediaType,
        configDigest,
        layers,
        chainIDs: chains,
        created: configBlob.created ?? new Date(0).toISOString(),
        architecture: configBlob.architecture ?? 'amd64',
        os: configBlob.os ?? 'linux',
        config: configBlob.config ?? {},
        size: unpackedTotal,
      };
      if (!existing) record.size = unpackedTotal;
      if (tag && !record.repoTags.includes(tag)) record.repoTags.push(tag);
      if (!record.repoDigests.includes(repoDigest)) record.repoDigests.push(repoDigest);
      images.set(id, record);
    });
    progress({ id: 'manifest', status: 'done' });
    this.emit('pull', id, tag ?? repoDigest);
    return this.inspect(id);
  }

  /** Downloads and unpacks one layer unless its ChainID is already on disk. Returns unpacked bytes. */
  private ensureLayer(
    client: RegistryClient, repo: string, layer: { digest: string; size: number; mediaType: string },
    diffID: string, chainID: string, progress: (p: PullProgress) => void, signal?: AbortSignal,
  ): Promise<number> {
    const inflight = this.inflightLayers.get(chainID);
    if (inflight) return inflight;
    const work = (async () => {
      const dir = this.layerDir(chainID);
      const existing = await stat(join(dir, 'meta.json')).then(() => true, () => false);
      if (existing) {
        progress({ id: layer.digest, status: 'exists', total: layer.size });
        const meta = JSON.parse(await import('node:fs/promises').then((f) => f.readFile(join(dir, 'meta.json'), 'utf8'))) as { size: number };
        return meta.size;
      }
      if (!(await this.blobs.has(layer.digest))) {
        progress({ id: layer.digest, status: 'downloading', current: 0, total: layer.size });
        const { stream } = await client.getBlob(repo, layer.digest, signal);
        let last = 0;
        await this.blobs.putStream(layer.digest, stream, {
          size: layer.size,
          signal,
          onBytes: (n) => {
            if (n - last >= 256 * 1024 || n === layer.size) {
              last = n;
              progress({ id: layer.digest, status: 'downloading', current: n, total: layer.size });
            }
          },
        });
        progress({ id: layer.digest, status: 'verifying', current: layer.size, total: layer.size });
      }
      progress({ id: layer.digest, status: 'extracting', total: layer.size });
      const tmp = join(this.blobs.tmp, `layer-${digestHex(chainID).slice(0, 16)}-${randomBytes(4).toString('hex')}`);
      await mkdir(join(tmp, 'fs'), { recursive: true });
      try {
        const { createReadStream } = await import('node:fs');
        const result = await unpackLayer(createReadStream(this.blobs.path(layer.digest)), join(tmp, 'fs'), signal);
        if (result.diffID !== diffID) {
          throw new InvalidArgument(`layer ${layer.digest} does not match the image config: uncompressed digest ${result.diffID}, expected ${diffID}`);
        }
        await writeFile(join(tmp, 'meta.json'), JSON.stringify({ chainID, diffID, digest: layer.digest, size: result.size }));
        await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
          await rm(tmp, { recursive: true, force: true }); // another pull won the race
        });
        progress({ id: layer.digest, status: 'done', total: layer.size });
        return result.size;
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    })();
    this.inflightLayers.set(chainID, work);
    return work.finally(() => this.inflightLayers.delete(chainID));
  }

  // ---- queries -------------------------------------------------------------------------

  /** Finds an image by id (or unique id prefix), `repo:tag` or `repo@digest`. */
  private find(refOrId: string): { image: ImageRecord; byName?: string } {
    const s = refOrId.trim();
    const idMatch = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(s);
    if (idMatch) {
      const hits = this.index.all().filter((i) => digestHex(i.id).startsWith(idMatch[1]!));
      if (hits.length > 1) throw new InvalidArgument(`ambiguous image id prefix ${s}`);
      if (hits.length === 1) return { image: hits[0]! };
      if (s.startsWith('sha256:') || s.length === 64) throw new NotFound(`no such image: ${s}`);
    }
    const ref = parseReference(s);
    if (ref.digest) {
      const rd = `${familiarName(ref)}@${ref.digest}`;
      const image = this.index.all().find((i) => i.repoDigests.includes(rd) || (i.manifestDigest === ref.digest && i.repoDigests.some((d) => d.startsWith(`${familiarName(ref)}@`))));
      if (image) return { image, byName: rd };
    } else {
      const tag = familiarTag(ref);
      const image = this.index.all().find((i) => i.repoTags.includes(tag));
      if (image) return { image, byName: tag };
    }
    throw new NotFound(`no such image: ${s}`);
  }

  async resolve(refOrId: string): Promise<ImageInspect> {
    return this.inspect(refOrId);
  }

  async layerDirs(imageId: string): Promise<string[]> {
    const image = this.index.get(imageId);
    if (!image) throw new NotFound(`no such image: ${imageId}`);
    return image.chainIDs.map((c) => join(this.layerDir(c), 'fs')).reverse();
  }

  private summary(i: ImageRecord): ImageSummary {
    return { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], created: i.created, size: i.size };
  }

  async list(opts: { all?: boolean; dangling?: boolean } = {}): Promise<ImageSummary[]> {
    return this.index
      .all()
      .filter((i) => opts.dangling === undefined || (i.repoTags.length === 0) === opts.dangling)
      .sort((a, b) => b.created.localeCompare(a.created))
      .map((i) => this.summary(i));
  }

  async inspect(refOrId: string): Promise<ImageInspect> {
    const { image: i } = this.find(refOrId);
    return {
      ...this.summary(i),
      architecture: i.architecture,
      os: i.os,
      config: i.config,
      rootFS: { type: 'layers', diffIDs: i.layers.map((l) => l.diffID) },
      manifestDigest: i.manifestDigest,
      layers: i.layers.map((l) => ({ ...l })),
    };
  }

  async tag(source: string, target: string): Promise<void> {
    const { image } = this.find(source);
    const ref = parseReference(target);
    if (ref.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: ${target}`);
    const tag = familiarTag(ref);
    await this.index.update((images) => {
      for (const other of images.values()) other.repoTags = other.repoTags.filter((t) => t !== tag);
      images.get(image.id)!.repoTags.push(tag);
    });
    this.emit('tag', image.id, tag);
  }

  // ---- remove / prune ----------------------------------------------------------------

  async remove(refOrId: string, opts: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
    const { image, byName } = this.find(refOrId);
    const untagged: string[] = [];
    // by name with other names left: only that name goes (docker rmi repo:tag)
    if (byName && image.repoTags.length + image.repoDigests.length > 1 && image.repoTags.includes(byName) && image.repoTags.length > 1) {
      await this.index.update((images) => {
        const i = images.get(image.id)!;
        i.repoTags = i.repoTags.filter((t) => t !== byName);
      });
      this.emit('untag', image.id, byName);
      return { untagged: [byName], deleted: [] };
    }
    if (this.isUsed(image.id)) {
      if (!opts.force) {
        throw new Conflict(`unable to remove image ${byName ?? refOrId} (must force) - image ${digestHex(image.id).slice(0, 12)} is being used by a container`);
      }
      // forced while in use: the names go, the image stays for its containers (Docker's behaviour)
      await this.index.update((images) => {
        const i = images.get(image.id)!;
        untagged.push(...i.repoTags, ...i.repoDigests);
        i.repoTags = [];
        i.repoDigests = [];
      });
      for (const t of untagged) this.emit('untag', image.id, t);
      return { untagged, deleted: [] };
    }
    if (!opts.force && !byName && image.repoTags.length > 1) {
      throw new Conflict(`unable to delete ${digestHex(image.id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
    }
    untagged.push(...image.repoTags, ...image.repoDigests);
    await this.index.update((images) => {
      images.delete(image.id);
    });
    const deleted = [image.id, ...(await this.collectGarbage())];
    for (const t of image.repoTags) this.emit('untag', image.id, t);
    this.emit('delete', image.id, image.repoTags[0] ?? image.id);
    return { untagged, deleted };
  }

  /** Removes layers and blobs no image references any more. */
  private async collectGarbage(): Promise<string[]> {
    const images = this.index.all();
    const chains = new Set(images.flatMap((i) => i.chainIDs));
    const blobs = new Set(images.flatMap((i) => [i.configDigest, i.manifestDigest, ...i.layers.map((l) => l.digest)]));
    const { readdir } = await import('node:fs/promises');
    const removed: string[] = [];
    for (const hex of await readdir(this.layersDir)) {
      if (!chains.has(`sha256:${hex}`)) {
        await rm(join(this.layersDir, hex), { recursive: true, force: true });
        removed.push(`sha256:${hex}`);
      }
    }
    for (const hex of await readdir(this.blobs.dir)) {
      // index manifests (manifest lists) are kept only while an image's repoDigest names them
      const d = `sha256:${hex}`;
      const namedByDigest = images.some((i) => i.repoDigests.some((r) => r.endsWith(`@${d}`)));
      if (!blobs.has(d) && !namedByDigest) await this.blobs.remove(d);
    }
    return removed;
  }

  async prune(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const i of this.index.all()) {
      if (i.repoTags.length || this.isUsed(i.id)) continue;
      spaceReclaimed += i.size;
      deleted.push(...(await this.remove(i.id)).deleted);
    }
    return { deleted, spaceReclaimed };
  }

  // ---- push ------------------------------------------------------------------------------

  /** Pushes a local image to its registry: blobs that the registry lacks, then the manifest. */
  async push(refStr: string, opts: { onProgress?: (p: PullProgress) => void; auth?: Credentials } = {}): Promise<{ digest: string }> {
    const { image } = this.find(refStr);
    const ref = parseReference(refStr);
    const client = this.client(ref, opts.auth);
    const progress = opts.onProgress ?? (() => {});
    for (const blob of [...image.layers.map((l) => ({ digest: l.digest, size: l.size })), { digest: image.configDigest, size: 0 }]) {
      if (await client.hasBlob(ref.repository, blob.digest)) {
        progress({ id: blob.digest, status: 'exists' });
        continue;
      }
      progress({ id: blob.digest, status: 'downloading', current: 0, total: blob.size });
      await client.uploadBlob(ref.repository, blob.digest, await this.blobs.read(blob.digest));
      progress({ id: blob.digest, status: 'done', total: blob.size });
    }
    const manifest = await this.blobs.read(image.manifestDigest);
    await client.putManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest', image.manifestMediaType, manifest);
    this.emit('push', image.id, formatReference(ref));
    return { digest: image.manifestDigest };
  }
}

async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < tasks.length && failed === undefined) {
      const t = tasks[next++]!;
      try {
        await t();
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed !== undefined) throw failed;
}
