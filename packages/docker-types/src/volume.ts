/** Volumes (moby api/types/volume): `GET /volumes` and `GET /volumes/{name}`. */

export interface VolumeUsageData {
  /** bytes, -1 when not computed */
  Size: number;
  RefCount: number;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  UsageData?: VolumeUsageData | null;
}

export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[];
}

export interface VolumePruneResponse {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}
