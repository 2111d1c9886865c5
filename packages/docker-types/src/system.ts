/** System endpoints (moby api/types/system): `/system/df`; `/info` and `/version` in the parts Skiff fills. */
import type { ContainerSummary } from './container.js';
import type { ImageSummary } from './image.js';
import type { Volume } from './volume.js';

/** `GET /system/df` (system.DiskUsage) */
export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[];
  /** list entries with SizeRw and SizeRootFs */
  Containers: ContainerSummary[];
  Volumes: Volume[];
  BuildCache: unknown[];
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** `GET /version` (types.Version) */
export interface VersionResponse {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  GoVersion: string;
  GitCommit: string;
}
