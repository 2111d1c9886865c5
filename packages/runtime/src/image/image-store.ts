import { Conflict, InvalidArgument, NotFound } from '../errors.js';
import { BlobStore, digestHex } from '../store/blob-store.js';
import { rm, mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImageDiskUsage, ImageHistoryEntry, ImageInspect, ImageService, ImageSummary, PullProgress, RuntimeEvent } from '../types.js';
import { collectGarbage } from './image-gc.js';
import { imageHistory } from './image-history.js';
import { ImageIndex, moveTag, type ImageRecord } from './image-index.js';
import { danglingChains, topImages, unreferencedParents } from './image-lineage.js';
import { imageDiskUsage } from './image-usage.js';
import { importImage } from './image-import.js';
import { loadImages } from './image-load.js';
import { findImage, imageInspect, imageSummary } from './image-lookup.js';
import { LayerStore } from './layer-store.js';
import { saveArchive, type SaveItem } from './archive-save.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import { compressForPush, type PushCompression } from './push-compress.js';
import { createImage, type NewImageSpec } from './image-create.js';
import { familiarName, familiarTag, formatReference, parseReference, registryHost } from './reference.js';
import type { Credentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';
import type { ImageStoreContext, Registration } from './store-context.js';

export interface ImageStoreOptions {
  root: string;
  /** `host:port` of registries spoken to over plain HTTP (localhost and 127.0.0.0/8 always are, as in Docker) */
  insecureRegistries: string[];
  emit?: (e: Omit<RuntimeEvent, 'time'>) => void;
}

/** `repo[:tag]` of a commit/build, as stored (familiar form, `:latest` when no tag) */
function commitTag(ref: string): string {
  const r = parseReference(ref);
  if (r.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: ${ref}`);
  return familiarTag(r);
}

/**
 * Images on disk: content-addressed blobs, unpacked layers (one directory per ChainID,
 * shared by every image and container that uses it) and the image index. Pull and push
 * speak the OCI Distribution API.
 */
export class ImageStore implements ImageService {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  private readonly index: ImageIndex;
  /** digests and ChainIDs that running pulls rely on; garbage collection leaves them alone */
  private readonly pins = new Set<Set<string>>();
  private isUsed: (imageId: string) => boolean = () => false;

  private constructor(private readonly opts: ImageStoreOptions) {
    this.blobs = new BlobStore(opts.root);
    this.layers = new LayerStore(opts.root, this.blobs.tmp);
    this.index = new ImageIndex(opts.root);
  }

  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    const s = new ImageStore(opts);
    await s.blobs.init();
    await s.layers.init();
    await s.index.load();
    // leftovers of pulls that were killed midway are never referenced: clear them
    await rm(s.blobs.tmp, { recursive: true, force: true });
    await mkdir(s.blobs.tmp, { recursive: true });
    return s;
  }

  /** The container manager tells the store which images containers use (remove refuses those). */
  setUsageCheck(fn: (imageId: string) => boolean): void {
    this.isUsed = fn;
  }

  private emit(action: string, id: string, name: string): void {
    this.opts.emit?.({ type: 'image', action, id, attributes: { name } });
  }

  private client(registry: string, credentials?: Credentials): RegistryClient {
    const host = registryHost(registry);
    const insecure = this.opts.insecureRegistries.includes(registry) || host === 'localhost' || /^127\./.test(host) || host === '::1';
    return new RegistryClient({ registry, insecure, credentials });
  }

  /** `skiff login`: does `registry` accept these credentials? (Unauthorized when not) */
  checkLogin(registry: string, credentials: Credentials): Promise<void> {
    return this.client(registry, credentials).checkLogin();
  }

  layerDir(chainID: string): string {
    return this.layers.path(chainID);
  }

  // ---- pull -------------------------------------------------------------------------

  async pull(refStr: string, opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: Credentials } = {}): Promise<ImageInspect> {
    const ref = parseReference(refStr);
    const pinned = new Set<string>();
    this.pins.add(pinned);
    try {
      const pulled = await pullImage({ blobs: this.blobs, layers: this.layers, client: this.client(ref.registry, opts.auth), pin: (d) => pinned.add(d) }, ref, {
        onProgress: opts.onProgress,
        signal: opts.signal,
      });
      opts.signal?.throwIfAborted();
      const { pulledDigest, ...fields } = pulled;
      const tag = ref.tag ? familiarTag(ref) : undefined;
      const repoDigest = `${familiarName(ref)}@${pulledDigest}`;
      await this.index.update((change) => {
        const record: ImageRecord = change.images.get(fields.id) ?? { ...fields, repoTags: [], repoDigests: [] };
        // pulling a tag again moves it here (the old image may go dangling)
        if (tag) moveTag(change, tag, record);
        if (!record.repoDigests.includes(repoDigest)) record.repoDigests.push(repoDigest);
        change.put(record);
      });
      this.emit('pull', fields.id, tag ?? repoDigest);
      return this.inspect(fields.id);
    } finally {
      this.pins.delete(pinned);
    }
  }

  // ---- queries -------------------------------------------------------------------------

  /** Finds an image by id (or unique id prefix), `repo:tag` or `repo@digest`. */
  private find(refOrId: string): { image: ImageRecord; byName?: string } {
    return findImage(this.index.all(), refOrId);
  }

  async resolve(refOrId: string): Promise<ImageInspect> {
    return this.inspect(refOrId);
  }

  async layerDirs(imageId: string): Promise<string[]> {
    const image = this.index.get(imageId);
    if (!image) throw new NotFound(`no such image: ${imageId}`);
    return image.chainIDs.map((c) => this.layers.fsPath(c)).reverse();
  }

  /** without `all`, intermediates (unnamed images others were made on) are left out, as in `docker images` */
  async list(opts: { all?: boolean; dangling?: boolean } = {}): Promise<ImageSummary[]> {
    const images = this.index.all();
    return (opts.all ? images : topImages(images))
      .filter((i) => opts.dangling === undefined || (i.repoTags.length === 0) === opts.dangling)
      .sort((a, b) => b.created.localeCompare(a.created))
      .map((i) => imageSummary(i));
  }

  async diskUsage(): Promise<ImageDiskUsage> {
    return imageDiskUsage(topImages(this.index.all()), this.layers);
  }

  async inspect(refOrId: string): Promise<ImageInspect> {
    return imageInspect(this.find(refOrId).image);
  }

  async tag(source: string, target: string): Promise<void> {
    const { image } = this.find(source);
    const ref = parseReference(target);
    if (ref.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: ${target}`);
    const tag = familiarTag(ref);
    await this.index.update((change) => {
      const record = change.images.get(image.id);
      if (!record) throw new NotFound(`no such image: ${source}`);
      moveTag(change, tag, record);
      change.put(record);
    });
    this.emit('tag', image.id, tag);
  }

  // ---- remove / prune ----------------------------------------------------------------

  /** Deletes the image's unreferenced, unnamed parents with it unless `noPrune` (dockerd's rmi). */
  async remove(refOrId: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
    const { image, byName } = this.find(refOrId);
    const untagged: string[] = [];
    // by name with other tags left: only that name goes (docker rmi repo:tag / repo@digest)
    const otherTags = image.repoTags.filter((t) => t !== byName);
    if (byName && otherTags.length > 0) {
      await this.index.update((change) => {
        const i = change.images.get(image.id);
        if (i) change.put({ ...i, repoTags: i.repoTags.filter((t) => t !== byName), repoDigests: i.repoDigests.filter((d) => d !== byName) });
      });
      this.emit('untag', image.id, byName);
      return { untagged: [byName], deleted: [] };
    }
    if (this.isUsed(image.id)) {
      if (!opts.force) {
        throw new Conflict(`unable to remove image ${byName ?? refOrId} (must force) - image ${digestHex(image.id).slice(0, 12)} is being used by a container`);
      }
      // forced while in use: the names go, the image stays for its containers (Docker's behaviour)
      await this.index.update((change) => {
        const i = change.images.get(image.id);
        if (!i) return;
        untagged.push(...i.repoTags, ...i.repoDigests);
        change.put({ ...i, repoTags: [], repoDigests: [] });
      });
      for (const t of untagged) this.emit('untag', image.id, t);
      return { untagged, deleted: [] };
    }
    if (this.index.all().some((i) => i.parent === image.id)) return this.untagParent(image, byName);
    if (!opts.force && !byName && image.repoTags.length > 1) {
      throw new Conflict(`unable to delete ${digestHex(image.id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
    }
    untagged.push(...image.repoTags, ...image.repoDigests);
    const parents = await this.index.update((change) => {
      change.delete(image.id);
      // under the index's lock: a tag, container or child may have come since
      const gone = opts.noPrune ? [] : unreferencedParents(change.images, image, (id) => this.isUsed(id));
      for (const p of gone) change.delete(p.id);
      return gone;
    });
    const deleted = [image.id, ...parents.map((p) => p.id), ...(await this.collectGarbage())];
    for (const t of image.repoTags) this.emit('untag', image.id, t);
    this.emit('delete', image.id, image.repoTags[0] ?? image.id);
    for (const p of parents) this.emit('delete', p.id, p.id);
    return { untagged, deleted };
  }

  /**
   * An image others were made on stays (their parent) as dockerd keeps it: removing it by
   * name takes its names, by id with no names is refused.
   */
  private async untagParent(image: ImageRecord, byName: string | undefined): Promise<{ untagged: string[]; deleted: string[] }> {
    const names = byName ? [byName] : [...image.repoTags, ...image.repoDigests];
    if (!names.length)
      throw new Conflict(`conflict: unable to delete ${digestHex(image.id).slice(0, 12)} (cannot be forced) - image has dependent child images`);
    await this.index.update((change) => {
      const i = change.images.get(image.id);
      if (i) change.put({ ...i, repoTags: i.repoTags.filter((t) => !names.includes(t)), repoDigests: i.repoDigests.filter((d) => !names.includes(d)) });
    });
    for (const t of names) this.emit('untag', image.id, t);
    return { untagged: names, deleted: [] };
  }

  /** Removes layers and blobs that no image references and no running pull relies on. */
  private collectGarbage(): Promise<string[]> {
    return collectGarbage(this.index.values(), this.layers, this.blobs, (d) => [...this.pins].some((p) => p.has(d)));
  }

  /**
   * Removes dangling images no container uses with the unnamed parents only they were made
   * on (with `all`, every unused image); `match` narrows that down (label/until filters).
   */
  async prune(
    opts: { all?: boolean; match?: (image: { created: string; labels: Record<string, string> }) => boolean } = {},
  ): Promise<{ deleted: string[]; untagged: string[]; spaceReclaimed: number }> {
    // with `all` a tagged image goes with every tag (several tags are no reason to keep it)
    const eligible = (i: ImageRecord) =>
      (!i.repoTags.length || !!opts.all) && (!opts.match || opts.match({ created: i.created, labels: i.config.Labels ?? {} }));
    const ids = opts.all
      ? this.index
          .all()
          .filter(eligible)
          .map((i) => i.id)
      : danglingChains(this.index.all(), eligible, (id) => this.isUsed(id)).map((i) => i.id);
    const chosen = new Set(ids);
    const { gone, deleted, untagged } = await this.removeUnused(ids, opts.all ? eligible : (i) => chosen.has(i.id) && !i.repoTags.length);
    return { deleted, untagged, spaceReclaimed: gone.reduce((n, i) => n + i.size, 0) };
  }

  /**
   * A cancelled build's images: those of `ids` that no name, container or `keep` holds go,
   * as prune would remove them.
   */
  async discardUnnamed(ids: string[], keep: (id: string) => boolean = () => false): Promise<string[]> {
    const { gone } = await this.removeUnused(ids, (i) => !i.repoTags.length && !i.repoDigests.length && !keep(i.id));
    return gone.map((i) => i.id);
  }

  /**
   * Removes the images of `ids` that `eligible` accepts and no container uses, in one index
   * change and one garbage collection: removing them one by one rewrote and rescanned the
   * store per image (a prune of 1300 build images took 111 s).
   */
  private async removeUnused(ids: string[], eligible: (i: ImageRecord) => boolean): Promise<{ gone: ImageRecord[]; deleted: string[]; untagged: string[] }> {
    const gone: ImageRecord[] = [];
    const untagged: string[] = [];
    if (!ids.length) return { gone, deleted: [], untagged };
    await this.index.update((change) => {
      // checked under the index's lock: a tag or container may have come since the caller looked
      for (const id of new Set(ids)) {
        const i = change.images.get(id);
        if (!i || !eligible(i) || this.isUsed(i.id)) continue;
        change.delete(i.id);
        gone.push(i);
        untagged.push(...i.repoTags, ...i.repoDigests);
      }
    });
    const deleted = gone.length ? [...gone.map((i) => i.id), ...(await this.collectGarbage())] : [];
    for (const i of gone) {
      for (const t of i.repoTags) this.emit('untag', i.id, t);
      this.emit('delete', i.id, i.repoTags[0] ?? i.id);
    }
    return { gone, deleted, untagged };
  }

  async history(refOrId: string): Promise<ImageHistoryEntry[]> {
    return imageHistory(this.blobs, this.layers, this.find(refOrId).image);
  }

  // ---- commit / build ----------------------------------------------------------------------

  /**
   * A new image: `spec.source` written as one layer (see layer-writer.ts) on top of
   * `spec.parent`, with the given runtime config and one more history entry. Tagged with
   * `spec.ref` when given (the tag moves from any other image), else dangling.
   */
  async createImage(spec: NewImageSpec): Promise<ImageInspect> {
    const pinned = new Set<string>();
    this.pins.add(pinned);
    try {
      const tag = spec.ref ? commitTag(spec.ref) : undefined;
      const parent = spec.parent ? this.find(spec.parent).image : undefined;
      const record = await createImage({ blobs: this.blobs, layers: this.layers, pin: (d) => pinned.add(d) }, parent, spec);
      await this.index.update((change) => {
        const r: ImageRecord = change.images.get(record.id) ?? { ...record, repoTags: [], repoDigests: [] };
        if (tag) moveTag(change, tag, r);
        change.put(r);
      });
      this.emit('commit', record.id, tag ?? record.id);
      return this.inspect(record.id);
    } finally {
      this.pins.delete(pinned);
    }
  }

  // ---- push ------------------------------------------------------------------------------

  /**
   * Pushes a local image to the registry its name points at. Upload progress is reported
   * with the pull statuses ('downloading' while uploading, 'exists' when the registry has it).
   * `compression` applies to plain-tar layers only (gzip by default; zstd needs an OCI manifest).
   */
  async push(
    refStr: string,
    opts: { onProgress?: (p: PullProgress) => void; auth?: Credentials; compression?: PushCompression } = {},
  ): Promise<{ digest: string }> {
    // every layer compressed: an imported or loaded image's plain tars are compressed once, for good
    const image = await compressForPush({ blobs: this.blobs, index: this.index, pins: this.pins }, this.find(refStr).image, opts.compression);
    const ref = parseReference(refStr);
    const result = await pushImage(this.client(ref.registry, opts.auth), this.blobs, image, ref.repository, ref.digest ?? ref.tag ?? 'latest', opts.onProgress);
    this.emit('push', image.id, formatReference(ref));
    return result;
  }

  // ---- save / load / import --------------------------------------------------------------

  /**
   * `docker save`: one tar that is a docker-archive and an OCI image layout (Docker 25+).
   * An image named by repo:tag is saved under that tag, one named by id without names.
   * Unknown names fail here, before any byte is streamed.
   */
  save(refs: string[]): Readable {
    if (refs.length === 0) throw new InvalidArgument('save needs at least one image');
    const items = new Map<string, SaveItem>();
    for (const r of refs) {
      const { image, byName } = this.find(r);
      const item = items.get(image.id) ?? { image, tags: [] };
      if (byName && !byName.includes('@') && !item.tags.includes(byName)) item.tags.push(byName);
      items.set(image.id, item);
    }
    // the blobs it reads stay while it streams, whatever rmi or prune do meanwhile
    const pinned = new Set<string>([...items.values()].flatMap(({ image: i }) => [i.configDigest, ...i.layers.map((l) => l.digest)]));
    this.pins.add(pinned);
    return saveArchive(this.blobs, [...items.values()], () => this.pins.delete(pinned));
  }

  /** `docker load`: see image-load.ts */
  load(input: Readable, opts: { signal?: AbortSignal } = {}): Promise<{ loaded: string[] }> {
    return loadImages(this.context(), input, opts);
  }

  /** `docker import`: see image-import.ts */
  import(input: Readable, opts: { ref?: string; changes?: string[]; message?: string; signal?: AbortSignal } = {}): Promise<{ id: string }> {
    return importImage(this.context(), input, opts);
  }

  private context(): ImageStoreContext {
    return {
      blobs: this.blobs,
      layers: this.layers,
      pins: this.pins,
      register: (records) => this.register(records),
      emit: (action, id, name) => this.emit(action, id, name),
      collectGarbage: () => this.collectGarbage(),
    };
  }

  /** Records images under their tags in one index write (a tag moves to its new image, as in Docker). */
  private async register(records: Registration[]): Promise<void> {
    await this.index.update((change) => {
      for (const { record: fields, tags } of records) {
        const record: ImageRecord = change.images.get(fields.id) ?? { ...fields, repoTags: [], repoDigests: [] };
        for (const tag of tags) moveTag(change, tag, record);
        change.put(record);
      }
    });
  }
}
