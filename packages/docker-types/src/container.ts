/**
 * Containers (moby api/types/container): `GET /containers/json` entries and
 * `GET /containers/{id}/json`, with Docker's field names. Fields Docker sends that Skiff
 * does not are left out rather than faked; optional ones are the ones Docker omits too.
 */
import type { Health, HealthConfig } from './health.js';
import type { EndpointSettings } from './network.js';

export type ContainerStateStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

/** one published or exposed port of a list entry; IP and PublicPort only when published */
export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

/** `HostIp` '' means every address; `HostPort` '' a port picked at start */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** "80/tcp" → bindings (null: exposed, not published) */
export type PortMap = Record<string, PortBinding[] | null>;

/** a `GET /containers/json` entry (container.Summary) */
export interface ContainerSummary {
  Id: string;
  /** ['/name'] */
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  /** unix seconds */
  Created: number;
  Ports: Port[];
  /** `size=1` and `system df` only */
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: ContainerStateStatus;
  /** "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago" */
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, Partial<EndpointSettings>> };
  Mounts: MountPoint[];
}

/** inspect `State` */
export interface ContainerState {
  Status: ContainerStateStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: Health;
}

export interface RestartPolicy {
  Name: 'no' | 'on-failure' | 'always' | 'unless-stopped' | '';
  MaximumRetryCount: number;
}

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** inspect `HostConfig`: what Skiff keeps of Docker's */
export interface HostConfig {
  NetworkMode: string;
  PortBindings: PortMap;
  PublishAllPorts: boolean;
  Links: string[] | null;
  Dns: string[];
  ExtraHosts: string[] | null;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  Init: boolean | null;
  CgroupnsMode: 'private' | 'host';
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  PidsLimit: number | null;
  CpusetCpus: string;
  CpusetMems: string;
  ShmSize: number;
  Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
  Sysctls: Record<string, string> | null;
  Tmpfs: Record<string, string> | null;
  LogConfig: LogConfig;
  Binds: string[] | null;
  VolumesFrom: string[] | null;
  /** [rows, columns] the tty starts with; [0, 0] when none was given */
  ConsoleSize: [number, number];
}

/** inspect `Config` (container.Config) */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  Image: string;
  Volumes?: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

/** an inspect `Mounts` entry (container.MountPoint) */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** the volume's name (volumes only) */
  Name?: string;
  Source: string;
  Destination: string;
  Driver: string;
  /** 'ro' or '' */
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface GraphDriverData {
  Name: string;
  Data: Record<string, string>;
}

/** inspect `NetworkSettings` (with the deprecated top-level fields of the first network, as dockerd still sends) */
export interface NetworkSettings {
  Networks: Record<string, EndpointSettings>;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Ports: PortMap;
  SandboxKey: string;
}

/** `GET /containers/{id}/json` (container.InspectResponse) */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** the image id (sha256:…) */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  /** '/name' */
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  HostConfig: HostConfig;
  GraphDriver: GraphDriverData;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: NetworkSettings;
}
