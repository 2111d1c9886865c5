import type { z } from 'zod';
import { InvalidArgument, NotFound } from '../errors.js';
import { imageManifestSchema } from './manifest-schema.js';
import { MEDIA } from './registry-client.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndexManifest {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export function isIndex(mediaType: string, body: { manifests?: unknown }): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList || (!mediaType && Array.isArray(body.manifests));
}

/** JSON from a registry or an archive; with `schema`, also of the shape the caller reads */
export function parseJson<T>(body: Buffer, what: string, schema?: z.ZodType): T {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidArgument(`${what} is not valid JSON`);
  }
  if (!schema) return value as T;
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new InvalidArgument(`${what} is malformed: ${issue.path.join('.') || 'the document'}: ${issue.message}`);
  }
  return checked.data as T;
}

/** Picks linux/amd64 from an image index, as `docker pull` does on this host. */
export function selectPlatform(index: ImageIndexManifest, ref: string): Descriptor {
  // an index media type on a body without `manifests` is an empty index
  const manifests = index.manifests ?? [];
  const match = manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64');
  if (!match) {
    const have = manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
    throw new NotFound(`no matching manifest for linux/amd64 in the manifest list entries of ${ref} (available: ${have || 'none'})`);
  }
  return match;
}

const CONFIG_TYPES: readonly string[] = [MEDIA.ociConfig, MEDIA.dockerConfig];

export function validateManifest(m: ImageManifest, ref: string): void {
  if (m.schemaVersion !== 2 || !m.config?.digest || !Array.isArray(m.layers)) {
    throw new InvalidArgument(`unsupported manifest for ${ref} (only schema 2 / OCI image manifests are supported)`);
  }
  const checked = imageManifestSchema.safeParse(m);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new InvalidArgument(`the manifest of ${ref} is malformed: ${issue.path.join('.')}: ${issue.message}`);
  }
  // OCI artifacts (helm charts, signatures, ...) use the same manifest shape with another config type
  if (m.config.mediaType && !CONFIG_TYPES.includes(m.config.mediaType)) {
    throw new InvalidArgument(`${ref} is not a container image (config media type ${m.config.mediaType})`);
  }
  const encrypted = m.layers.find((l) => /\+encrypted$/.test(l.mediaType ?? ''));
  if (encrypted) throw new InvalidArgument(`${ref} has an encrypted layer (${encrypted.mediaType}), which is not supported`);
}
