/**
 * Images (moby api/types/image): the image config Docker keeps (what `docker inspect`
 * shows as `Config`), `GET /images/json` entries and `GET /images/{id}/json`.
 */
import type { HealthConfig } from './health.js';

/** the run config an image carries (the OCI config's `config`, Docker's names) */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  /** SHELL: what a CMD-SHELL health check runs under (default /bin/sh -c) */
  Shell?: string[];
}

/** a `GET /images/json` entry (image.Summary); -1 where Skiff does not count */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** unix seconds */
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** `GET /images/{id}/json` (image.InspectResponse) */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC3339Nano */
  Created: string;
  Config: ImageConfig;
  Architecture: string;
  Os: string;
  Size: number;
  RootFS: { Type: 'layers'; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** a `GET /images/{id}/history` entry (image.HistoryResponseItem) */
export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** one entry of `DELETE /images/{id}` and of prune's ImagesDeleted */
export type ImageDeleteResponseItem = { Untagged: string } | { Deleted: string };
