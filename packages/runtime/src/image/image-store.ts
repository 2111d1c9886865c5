import { Conflict, InvalidArgument, isSkiffError, NotFound } from '../errors.js';
import { BlobStore, digestHex } from '../store/blob-store.js';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageHistoryEntry, ImageInspect, ImageService, ImageSummary, PullProgress, RuntimeEvent } from '../types.js';
import { collectGarbage } from './image-gc.js';
import { ImageIndex, moveTag, type ImageRecord } from './image-index.js';
import { LayerStore } from './layer-store.js';
import { archiveManifest } from './archive-format.js';
import { materialize, parseArchive } from './archive-load.js';
import { saveArchive, type SaveItem } from './archive-save.js';
import { stageArchive } from './archive-staging.js';
import { applyChanges } from './config-changes.js';
import { importConfig, importLayerBlob } from './image-import.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import { createImage, type NewImageSpec } from './image-create.js';
import { familiarName, familiarTag, formatReference, parseReference, registryHost } from './reference.js';
import type { Credentials } from './registry-auth.js';
import { MEDIA, RegistryClient } from './registry-client.js';

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

  async pull(
    refStr: string,
    opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: Credentials } = {},
  ): Promise<ImageInspect> {
    const ref = parseReference(refStr);
    const pinned = new Set<string>();
    this.pins.add(pinned);
    try {
      const pulled = await pullImage(
        { blobs: this.blobs, layers: this.layers, client: this.client(ref.registry, opts.auth), pin: (d) => pinned.add(d) },
        ref,
        { onProgress: opts.onProgress, signal: opts.signal },
      );
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
    return image.chainIDs.map((c) => this.layers.fsPath(c)).reverse();
  }

  private summary(i: ImageRecord): ImageSummary {
    return { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], created: i.created, size: i.size, labels: { ...i.config.Labels } };
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
    await this.index.update((change) => {
      const record = change.images.get(image.id);
      if (!record) throw new NotFound(`no such image: ${source}`);
      moveTag(change, tag, record);
      change.put(record);
    });
    this.emit('tag', image.id, tag);
  }

  // ---- remove / prune ----------------------------------------------------------------

  async remove(refOrId: string, opts: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
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
    if (!opts.force && !byName && image.repoTags.length > 1) {
      throw new Conflict(`unable to delete ${digestHex(image.id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
    }
    untagged.push(...image.repoTags, ...image.repoDigests);
    await this.index.update((change) => change.delete(image.id));
    const deleted = [image.id, ...(await this.collectGarbage())];
    for (const t of image.repoTags) this.emit('untag', image.id, t);
    this.emit('delete', image.id, image.repoTags[0] ?? image.id);
    return { untagged, deleted };
  }

  /** Removes layers and blobs that no image references and no running pull relies on. */
  private collectGarbage(): Promise<string[]> {
    return collectGarbage(this.index.values(), this.layers, this.blobs, (d) => [...this.pins].some((p) => p.has(d)));
  }

  /**
   * Removes dangling images no container uses (with `all`, every unused image); `match`
   * narrows that down (the Docker API's label/until filters).
   */
  async prune(
    opts: { all?: boolean; match?: (image: { created: string; labels: Record<string, string> }) => boolean } = {},
  ): Promise<{ deleted: string[]; untagged: string[]; spaceReclaimed: number }> {
    // with `all` a tagged image goes with every tag (several tags are no reason to keep it)
    const eligible = (i: ImageRecord) => (!i.repoTags.length || !!opts.all) && (!opts.match || opts.match({ created: i.created, labels: i.config.Labels ?? {} }));
    const { gone, deleted, untagged } = await this.removeUnused(this.index.all().filter(eligible).map((i) => i.id), eligible);
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
    const { image } = this.find(refOrId);
    let entries: Record<string, unknown>[] = [];
    try {
      const config = JSON.parse((await this.blobs.read(image.configDigest)).toString('utf8')) as { history?: unknown };
      if (Array.isArray(config.history)) entries = config.history.filter((h): h is Record<string, unknown> => !!h && typeof h === 'object');
    } catch {
      // a config without history (or unreadable) still lists the layers below
    }
    const sizes = await Promise.all(image.chainIDs.map(async (c, i) => (await this.layers.meta(c))?.size ?? image.layers[i]?.size ?? 0));
    const out: Omit<ImageHistoryEntry, 'id'>[] = [];
    let layer = 0;
    for (const h of entries) {
      const empty = h.empty_layer === true || layer >= sizes.length;
      out.push({
        created: typeof h.created === 'string' ? h.created : '',
        createdBy: typeof h.created_by === 'string' ? h.created_by : '',
        comment: typeof h.comment === 'string' ? h.comment : '',
        size: empty ? 0 : sizes[layer]!,
        emptyLayer: empty,
      });
      if (!empty) layer++;
    }
    // layers the history does not account for (configs without history)
    for (; layer < sizes.length; layer++) out.push({ created: image.created, createdBy: '', comment: '', size: sizes[layer]!, emptyLayer: false });
    return out.reverse().map((e, i) => ({ id: i === 0 ? image.id : '<missing>', ...e }));
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
   */
  async push(refStr: string, opts: { onProgress?: (p: PullProgress) => void; auth?: Credentials } = {}): Promise<{ digest: string }> {
    const { image } = this.find(refStr);
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

  /**
   * `docker load`: a docker-archive (Docker 25+ or the older `<id>/layer.tar` layout) or an
   * OCI image layout tar, plain or compressed. Every file is checked against its digest and
   * every layer against its diffID before any image is registered: a malformed, hostile or
   * truncated archive registers nothing and leaves no blob or layer behind.
   */
  async load(input: Readable, opts: { signal?: AbortSignal } = {}): Promise<{ loaded: string[] }> {
    const dir = join(this.blobs.tmp, `load-${randomBytes(6).toString('hex')}`);
    const pinned = new Set<string>();
    this.pins.add(pinned);
    let stored = false;
    try {
      await mkdir(dir, { recursive: true });
      const staged = await stageArchive(input, dir, opts.signal);
      const parsed = await parseArchive(staged);
      stored = true;
      const records: { record: Omit<ImageRecord, 'repoTags' | 'repoDigests'>; tags: string[] }[] = [];
      for (const p of parsed) {
        opts.signal?.throwIfAborted();
        records.push({ record: await materialize({ blobs: this.blobs, layers: this.layers, pin: (d) => pinned.add(d) }, p), tags: p.tags });
      }
      await this.register(records);
      stored = false;
      const loaded: string[] = [];
      for (const { record, tags } of records) {
        loaded.push(...(tags.length ? tags : [record.id]));
        this.emit('load', record.id, tags[0] ?? record.id);
      }
      return { loaded };
    } catch (e) {
      if (!stored) throw e;
      // blobs and layers of a load that failed midway are referenced by nothing: drop them
      this.pins.delete(pinned);
      await this.collectGarbage().catch(() => {});
      throw e;
    } finally {
      this.pins.delete(pinned);
      input.resume(); // an unread rest of a refused archive must not stall the sender
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `docker import`: a filesystem tarball (plain, gzip or zstd) becomes a one-layer image,
   * with `changes` (Dockerfile instructions) applied to an empty config.
   */
  async import(input: Readable, opts: { ref?: string; changes?: string[]; message?: string; signal?: AbortSignal } = {}): Promise<{ id: string }> {
    let tag: string | undefined;
    if (opts.ref) {
      const ref = parseReference(opts.ref);
      if (ref.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: ${opts.ref}`);
      tag = familiarTag(ref);
    }
    const config = applyChanges({}, opts.changes ?? []);
    const pinned = new Set<string>();
    this.pins.add(pinned);
    try {
      const { diffID, size } = await importLayerBlob(this.blobs, input, opts.signal).finally(() => input.resume());
      pinned.add(diffID);
      try {
        const configBlob = importConfig(diffID, config, opts.message || 'Imported from -');
        const configDigest = await this.blobs.putBuffer(configBlob);
        pinned.add(configDigest);
        const { meta } = await this.layers
          .ensure({ chainID: diffID, diffID, digest: diffID }, () => createReadStream(this.blobs.path(diffID)), { signal: opts.signal })
          .catch((e: unknown) => {
            if (isSkiffError(e) || (e as Error).name === 'AbortError') throw e;
            throw new InvalidArgument(`the imported file is not a valid tar archive: ${(e as Error).message}`, { cause: e });
          });
        const manifest = archiveManifest({ digest: configDigest, size: configBlob.length }, [{ mediaType: MEDIA.ociLayer, digest: diffID, size }]);
        const manifestDigest = await this.blobs.putBuffer(manifest);
        const parsed = JSON.parse(configBlob.toString('utf8')) as { created: string };
        await this.register([
          {
            record: {
              id: configDigest, manifestDigest, manifestMediaType: MEDIA.ociManifest, configDigest,
              layers: [{ digest: diffID, diffID, size, mediaType: MEDIA.ociLayer }], chainIDs: [diffID],
              created: parsed.created, architecture: 'amd64', os: 'linux', config, size: meta.size,
            },
            tags: tag ? [tag] : [],
          },
        ]);
        this.emit('import', configDigest, tag ?? configDigest);
        return { id: configDigest };
      } catch (e) {
        this.pins.delete(pinned);
        await this.collectGarbage().catch(() => {});
        throw e;
      }
    } finally {
      this.pins.delete(pinned);
    }
  }

  /** Records images under their tags in one index write (a tag moves to its new image, as in Docker). */
  private async register(records: { record: Omit<ImageRecord, 'repoTags' | 'repoDigests'>; tags: string[] }[]): Promise<void> {
    await this.index.update((change) => {
      for (const { record: fields, tags } of records) {
        const record: ImageRecord = change.images.get(fields.id) ?? { ...fields, repoTags: [], repoDigests: [] };
        for (const tag of tags) moveTag(change, tag, record);
        change.put(record);
      }
    });
  }
}
