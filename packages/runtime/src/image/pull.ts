import { createReadStream } from 'node:fs';
import { InvalidArgument } from '../errors.js';
import { sha256, type BlobStore } from '../store/blob-store.js';
import type { ImageConfig, PullProgress } from '../types.js';
import { chainIDs } from './chain-id.js';
import type { ImageRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';
import { imageConfigBlobSchema, topManifestSchema } from './manifest-schema.js';
import { isIndex, parseJson, selectPlatform, validateManifest, type Descriptor, type ImageIndexManifest, type ImageManifest } from './manifest.js';
import { formatReference, type ImageReference } from './reference.js';
import { MEDIA, type RegistryClient } from './registry-client.js';

interface ImageConfigBlob {
  created?: string;
  architecture?: string;
  os?: string;
  config?: ImageConfig;
  rootfs?: { type: string; diff_ids: string[] };
}

export interface PullContext {
  blobs: BlobStore;
  layers: LayerStore;
  client: RegistryClient;
  /** called with every blob digest and ChainID the pull is about to rely on (kept from GC) */
  pin(digest: string): void;
}

export interface PullOptions {
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

/** What a pull produced: the image record without its names, and the digest it was pulled by. */
export type PulledImage = Omit<ImageRecord, 'repoTags' | 'repoDigests'> & { pulledDigest: string };

export const PARALLEL_LAYERS = 3;
const PROGRESS_STEP = 256 * 1024;

/**
 * Pulls one image: resolves the manifest (an index → linux/amd64), stores manifest and
 * config, downloads the layers in parallel (each verified while streaming) and unpacks
 * each ChainID once. Nothing becomes visible before it is complete and verified; the
 * caller records the image only after this returns.
 */
export async function pullImage(ctx: PullContext, ref: ImageReference, opts: PullOptions = {}): Promise<PulledImage> {
  const progress = opts.onProgress ?? (() => {});
  const name = formatReference(ref);
  progress({ id: 'manifest', status: 'resolving' });

  const top = await ctx.client.getManifest(ref.repository, ref.digest ?? ref.tag!, opts.signal);
  const topDigest = sha256(top.body);
  if (ref.digest && topDigest !== ref.digest) throw new InvalidArgument(`manifest digest mismatch for ${name}: the registry sent ${topDigest}`);
  const topJson = parseJson<ImageManifest & ImageIndexManifest>(top.body, `manifest of ${name}`, topManifestSchema);
  let manifestBody = top.body;
  let manifestMediaType = mediaTypeOf(topJson, top.mediaType);
  let manifestDigest = topDigest;
  if (isIndex(manifestMediaType, topJson)) {
    const chosen = selectPlatform(topJson, name);
    const m = await ctx.client.getManifest(ref.repository, chosen.digest, opts.signal);
    if (sha256(m.body) !== chosen.digest) throw new InvalidArgument(`manifest digest mismatch for ${name} (linux/amd64): the registry sent ${sha256(m.body)}`);
    manifestBody = m.body;
    manifestDigest = chosen.digest;
    manifestMediaType = mediaTypeOf(parseJson(m.body, `manifest of ${name} (linux/amd64)`, topManifestSchema), m.mediaType) || chosen.mediaType;
  }
  const manifest = parseJson<ImageManifest>(manifestBody, `manifest of ${name}`, topManifestSchema);
  validateManifest(manifest, name);
  manifestMediaType ||= manifest.config.mediaType === MEDIA.dockerConfig ? MEDIA.dockerManifest : MEDIA.ociManifest;
  for (const d of [topDigest, manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) ctx.pin(d);

  progress({ id: 'config', status: 'downloading', total: manifest.config.size, digest: manifest.config.digest });
  const configDigest = manifest.config.digest;
  if (!(await ctx.blobs.has(configDigest))) {
    const { stream } = await ctx.client.getBlob(ref.repository, configDigest, opts.signal);
    await ctx.blobs.putStream(configDigest, stream, { size: manifest.config.size, signal: opts.signal });
  }
  const config = parseJson<ImageConfigBlob>(await ctx.blobs.read(configDigest), `config of ${name}`, imageConfigBlobSchema);
  const diffIDs = config.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== manifest.layers.length) {
    throw new InvalidArgument(`image ${name} is inconsistent: ${manifest.layers.length} layers but ${diffIDs.length} diff ids in its config`);
  }
  progress({ id: 'config', status: 'done', total: manifest.config.size });
  const chains = chainIDs(diffIDs);
  for (const c of chains) ctx.pin(c);

  for (const l of manifest.layers) progress({ id: l.digest, status: 'waiting', total: l.size });
  // one failing layer cancels its siblings instead of letting them download to the end
  const local = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, local.signal]) : local.signal;
  const sizes = await runLimited(
    manifest.layers.map(
      (layer, i) => () => fetchLayer(ctx, ref.repository, layer, { chainID: chains[i]!, parent: chains[i - 1], diffID: diffIDs[i]! }, progress, signal),
    ),
    PARALLEL_LAYERS,
    () => local.abort(),
  );

  // the manifests go in last: a blob store holding a manifest means the image was complete once
  await ctx.blobs.putBuffer(manifestBody);
  if (manifestBody !== top.body) await ctx.blobs.putBuffer(top.body);
  progress({ id: 'manifest', status: 'done' });
  return {
    id: configDigest,
    pulledDigest: topDigest,
    manifestDigest,
    manifestMediaType,
    configDigest,
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, diffID: diffIDs[i]!, size: l.size, mediaType: l.mediaType })),
    chainIDs: chains,
    created: config.created ?? new Date(0).toISOString(),
    architecture: config.architecture ?? 'amd64',
    os: config.os ?? 'linux',
    config: config.config ?? {},
    size: sizes.reduce((a, b) => a + b, 0),
  };
}

/**
 * A manifest's media type: its own `mediaType` field, else the response's Content-Type
 * unless that is generic JSON (static-file registries). OCI allows omitting both.
 */
function mediaTypeOf(json: { mediaType?: string }, contentType: string): string {
  if (json.mediaType) return json.mediaType;
  return contentType && contentType !== 'application/json' && contentType !== 'text/plain' ? contentType : '';
}

/** Downloads (unless stored) and unpacks (unless on disk) one layer; returns its unpacked size. */
async function fetchLayer(
  ctx: PullContext,
  repo: string,
  layer: Descriptor,
  ids: { chainID: string; parent?: string; diffID: string },
  progress: (p: PullProgress) => void,
  signal: AbortSignal,
): Promise<number> {
  const onDisk = await ctx.layers.meta(ids.chainID);
  if (onDisk) {
    progress({ id: layer.digest, status: 'exists', total: layer.size });
    return onDisk.size;
  }
  const { meta, existed } = await ctx.layers.ensure({ ...ids, digest: layer.digest }, () => createReadStream(ctx.blobs.path(layer.digest)), {
    signal,
    onStart: () => progress({ id: layer.digest, status: 'extracting', total: layer.size }),
    // download inside ensure() so a concurrent pull of the same layer waits for one download
    before: async () => {
      if (await ctx.blobs.has(layer.digest)) return;
      progress({ id: layer.digest, status: 'downloading', current: 0, total: layer.size });
      const { stream } = await ctx.client.getBlob(repo, layer.digest, signal);
      let last = 0;
      await ctx.blobs.putStream(layer.digest, stream, {
        size: layer.size,
        signal,
        onBytes: (n) => {
          if (n - last >= PROGRESS_STEP || n === layer.size) {
            last = n;
            progress({ id: layer.digest, status: 'downloading', current: n, total: layer.size });
          }
        },
      });
      progress({ id: layer.digest, status: 'verifying', current: layer.size, total: layer.size });
    },
  });
  progress({ id: layer.digest, status: existed ? 'exists' : 'done', total: layer.size });
  return meta.size;
}

/** Runs tasks with at most `limit` at a time; the first failure stops new tasks and calls onFail. */
async function runLimited<T>(tasks: (() => Promise<T>)[], limit: number, onFail: () => void): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < tasks.length && !failed) {
      const i = next++;
      try {
        results[i] = await tasks[i]!();
      } catch (e) {
        if (!failed) {
          failed = { error: e };
          onFail();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed) throw failed.error;
  return results;
}
