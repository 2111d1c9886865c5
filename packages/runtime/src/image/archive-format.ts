import { MEDIA } from './registry-client.js';

/**
 * The image archive `docker save` writes since Docker 25: one tar that is both a
 * docker-archive (manifest.json + repositories) and an OCI image layout (oci-layout +
 * index.json), with every blob stored once under blobs/sha256/ and referenced from both.
 */
export const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' };
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;

/** one entry of a docker-archive manifest.json */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, unknown>;
}

export interface ArchiveLayer {
  mediaType: string;
  digest: string;
  size: number;
}

/**
 * The OCI manifest of an image as stored in an archive. Save and load both build it here,
 * byte for byte the same, so a saved and reloaded image keeps its manifest digest.
 */
export function archiveManifest(config: { digest: string; size: number }, layers: ArchiveLayer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
}
