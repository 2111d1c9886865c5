import { createReadStream } from 'node:fs';
import type { BlobStore } from '../store/blob-store.js';
import type { ImageConfig } from '../types.js';
import { chainIDs } from './chain-id.js';
import type { ImageRecord, LayerRecord } from './image-index.js';
import type { LayerStore } from './layer-store.js';
import { EMPTY_TAR_DIFF_ID, writeLayer, type LayerSource, type WriteLayerOptions, type WrittenLayer } from './layer-writer.js';
import { parseJson } from './manifest.js';
import { MEDIA } from './registry-client.js';

/** One `history` entry of an image config (OCI image spec field names). */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface NewImageSpec {
  /** the image (id or name) the layer goes on top of; absent for an image from scratch */
  parent?: string;
  /** what becomes the new layer; absent for a config-only step (an `empty_layer` history entry) */
  source?: LayerSource;
  layerOptions?: WriteLayerOptions;
  /** the new image's runtime config (Docker's `config`: Env, Cmd, Entrypoint, ...), replacing the parent's */
  config: ImageConfig & { OnBuild?: string[] | null };
  /** the history entry of this step (created is filled in) */
  history: Omit<HistoryEntry, 'empty_layer'>;
  /** the config's top-level `author` */
  author?: string;
  /** `repo[:tag]` to tag the new image with */
  ref?: string;
  /** called once the layer blob is written (commit thaws the container here) */
  onLayerWritten?: (layer: WrittenLayer) => void | Promise<void>;
}

interface ConfigBlob {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  config?: Record<string, unknown>;
  rootfs?: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export interface CreateContext {
  blobs: BlobStore;
  layers: LayerStore;
  /** keeps a digest / ChainID from garbage collection until the image is in the index */
  pin(digest: string): void;
}

/** RFC3339 with nanoseconds, as Docker writes `created` */
const nowNano = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/**
 * Writes the layer, unpacks it into the layer store (from the blob just written, so the
 * stored image is exactly what a pull of it would give), then stores config and manifest.
 * The manifest is of the parent's kind (Docker schema 2 or OCI) so pushing mixes nothing.
 * Returns the record for the image index (names are the caller's).
 */
export async function createImage(
  ctx: CreateContext,
  parent: ImageRecord | undefined,
  spec: NewImageSpec,
): Promise<Omit<ImageRecord, 'repoTags' | 'repoDigests'>> {
  const layer: WrittenLayer = spec.source
    ? await writeLayer(spec.source, ctx.blobs, spec.layerOptions)
    : { diffID: EMPTY_TAR_DIFF_ID, digest: '', size: 0, mediaType: '', empty: true };
  if (spec.source) {
    ctx.pin(layer.digest);
    await spec.onLayerWritten?.(layer);
  }

  const parentBlob: ConfigBlob = parent ? parseJson<ConfigBlob>(await ctx.blobs.read(parent.configDigest), `config of ${parent.id}`) : {};
  const docker = parent?.manifestMediaType === MEDIA.dockerManifest;
  const created = nowNano();

  const parentDiffIDs = parent ? parent.layers.map((l) => l.diffID) : [];
  const diffIDs = layer.empty ? parentDiffIDs : [...parentDiffIDs, layer.diffID];
  const chains = chainIDs(diffIDs);
  const layers: LayerRecord[] = parent ? parent.layers.map((l) => ({ ...l })) : [];
  let size = parent?.size ?? 0;
  if (!layer.empty) {
    const mediaType = docker ? MEDIA.dockerLayerGzip : layer.mediaType;
    layers.push({ digest: layer.digest, diffID: layer.diffID, size: layer.size, mediaType });
    const chainID = chains[chains.length - 1]!;
    ctx.pin(chainID);
    const { meta } = await ctx.layers.ensure({ chainID, parent: chains[chains.length - 2], diffID: layer.diffID, digest: layer.digest }, () =>
      createReadStream(ctx.blobs.path(layer.digest)),
    );
    size += meta.size;
  }

  // the parent's history, padded so every parent layer has its (non-empty) entry
  const history: HistoryEntry[] = [...(parentBlob.history ?? [])];
  const filled = history.filter((h) => !h.empty_layer).length;
  for (let i = filled; i < parentDiffIDs.length; i++) history.push({ created: parentBlob.created ?? parent?.created });
  const entry: HistoryEntry = { created, ...dropUndefined(spec.history) };
  if (layer.empty) entry.empty_layer = true;
  history.push(entry);

  const { container: _c, container_config: _cc, ...inherited } = parentBlob;
  const config = dropUndefined({ ...(parentBlob.config ?? {}), ...spec.config });
  const configBlob: ConfigBlob = {
    ...inherited,
    created,
    author: spec.author || undefined,
    architecture: parentBlob.architecture ?? parent?.architecture ?? 'amd64',
    os: parentBlob.os ?? parent?.os ?? 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history,
  };
  if (!configBlob.author) delete configBlob.author;
  const configBytes = Buffer.from(JSON.stringify(configBlob));
  const configDigest = await ctx.blobs.putBuffer(configBytes);
  ctx.pin(configDigest);

  const manifestMediaType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: { mediaType: docker ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = await ctx.blobs.putBuffer(manifest);
  ctx.pin(manifestDigest);

  return {
    id: configDigest,
    manifestDigest,
    manifestMediaType,
    configDigest,
    layers,
    chainIDs: chains,
    created,
    architecture: configBlob.architecture!,
    os: configBlob.os!,
    config: config as ImageConfig,
    size,
    ...(parent ? { parent: parent.id } : {}),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
