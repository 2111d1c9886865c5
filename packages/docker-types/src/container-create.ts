/**
 * `POST /containers/create` request body (moby api/types/container.CreateRequest, Engine
 * API 1.47): container.Config's fields, `HostConfig` and `NetworkingConfig`. The fields
 * Skiff reads; the docker CLI and Compose send whole Go structs, so every field may be
 * absent, null or Go's zero value. Skiff refuses a field outside this set unless it is
 * zero (apps/agent/src/docker-api/create-refusals.ts).
 */
import type { EndpointSettingsRequest } from './network.js';

/** Config.Healthcheck (container.HealthConfig): durations in nanoseconds */
export interface HealthConfigRequest {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** a HostConfig.Mounts entry (mount.Mount); the option blocks keep what else they carry */
export interface ContainerMountRequest {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: Record<string, unknown> | null;
  VolumeOptions?: ({ NoCopy?: boolean } & Record<string, unknown>) | null;
  TmpfsOptions?: ({ SizeBytes?: number; Mode?: number } & Record<string, unknown>) | null;
}

/** HostConfig.PortBindings values: `HostIp` '' every address, `HostPort` '' one picked at start */
export interface PortBindingRequest {
  HostIp?: string;
  HostPort?: string;
}

/** HostConfig.Ulimits entry */
export interface UlimitRequest {
  Name: string;
  Soft: number;
  Hard: number;
}

/** the request's HostConfig (container.HostConfig) */
export interface HostConfigRequest {
  Binds?: string[] | null;
  PortBindings?: Record<string, PortBindingRequest[] | null> | null;
  PublishAllPorts?: boolean;
  AutoRemove?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number | null;
  CpusetCpus?: string;
  CpusetMems?: string;
  NetworkMode?: string;
  Mounts?: ContainerMountRequest[] | null;
  Init?: boolean | null;
  ReadonlyRootfs?: boolean;
  CgroupnsMode?: string;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  VolumesFrom?: string[] | null;
  Links?: string[] | null;
  /** target → mount options ("size=64m,mode=1777") */
  Tmpfs?: Record<string, string> | null;
  ShmSize?: number | null;
  Ulimits?: UlimitRequest[] | null;
  Sysctls?: Record<string, string> | null;
}

/** `POST /containers/create` body (container.CreateRequest) */
export interface ContainerCreateRequest {
  Image?: string;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Labels?: Record<string, string> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StopSignal?: string;
  /** seconds */
  StopTimeout?: number | null;
  Healthcheck?: HealthConfigRequest | null;
  /** `-v /path` without a source: anonymous volumes (path → {}) */
  Volumes?: Record<string, unknown> | null;
  /** "80/tcp" → {} */
  ExposedPorts?: Record<string, unknown> | null;
  /** deprecated in 1.44 for the endpoint's MacAddress, still sent by older clients */
  MacAddress?: string;
  NetworkDisabled?: boolean;
  HostConfig?: HostConfigRequest | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettingsRequest | null> | null } | null;
}
