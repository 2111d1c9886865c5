/** The runtime's image shapes (its own camelCase; Docker's are in @skiff/docker-types). */
import type { ImageConfig } from '@skiff/docker-types';

export interface PullProgress {
  /** layer digest, or 'manifest' / 'config' for the small blobs */
  id: string;
  status: 'resolving' | 'waiting' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'exists';
  current?: number;
  total?: number;
  /** the config's digest (the image id), on the config's events: whether the image is here already */
  digest?: string;
}

export interface ImageSummary {
  id: string; // sha256:<config digest>
  repoTags: string[];
  repoDigests: string[];
  created: string; // RFC3339
  size: number; // unpacked bytes
  /** the config's labels (`LABEL`), which `images --filter label=` matches */
  labels: Record<string, string>;
  /** the image a build step or commit made this one on ('' for pulled, loaded and imported images) */
  parentId: string;
}

/** `docker system df`'s images: each layer on disk counted once in `layersSize` */
export interface ImageDiskUsage {
  /** unpacked bytes of the distinct layers on disk */
  layersSize: number;
  /** the images `images` lists (intermediates hidden); `size` is all their layers' bytes */
  images: (ImageSummary & { sharedSize: number; uniqueSize: number })[];
}

/** One entry of an image's build history (`docker history`), newest first */
export interface ImageHistoryEntry {
  /** the image id on the newest entry, '<missing>' below it (as Docker shows pulled images) */
  id: string;
  created: string; // RFC3339, '' when the config does not say
  createdBy: string;
  comment: string;
  /** unpacked bytes of the layer this step made; 0 for metadata-only steps */
  size: number;
  emptyLayer: boolean;
}

export interface ImageInspect extends ImageSummary {
  architecture: string;
  os: string;
  config: ImageConfig;
  rootFS: { type: 'layers'; diffIDs: string[] };
  manifestDigest: string;
  layers: { digest: string; diffID: string; size: number; mediaType: string }[];
}

export interface ImageService {
  pull(
    ref: string,
    opts?: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: { username: string; password: string } },
  ): Promise<ImageInspect>;
  list(opts?: { all?: boolean; dangling?: boolean }): Promise<ImageSummary[]>;
  inspect(refOrId: string): Promise<ImageInspect>;
  tag(source: string, target: string): Promise<void>;
  /** untags or deletes; refuses while a container uses the image unless force */
  remove(refOrId: string, opts?: { force?: boolean; noPrune?: boolean }): Promise<{ untagged: string[]; deleted: string[] }>;
  /** layer bytes per image and in all (docker system df) */
  diskUsage(): Promise<ImageDiskUsage>;
  /** dangling images (no tag, no container), or with `all` every image no container uses */
  prune(opts?: { all?: boolean }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
  /** the config's `history`, newest first, with each filesystem layer's unpacked size */
  history(refOrId: string): Promise<ImageHistoryEntry[]>;
  /** `docker login`'s check: resolves when `registry` accepts the credentials, Unauthorized when it refuses them */
  checkLogin(registry: string, credentials: { username: string; password: string }): Promise<void>;
}
