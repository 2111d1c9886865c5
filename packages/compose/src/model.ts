/**
 * A Compose project after loading: YAML parsed, `${VAR}` interpolated, validated against
 * the Compose Specification's JSON schema, `extends`/short syntaxes expanded and every
 * relative path made absolute. The engine works only with this shape, never with YAML.
 */

export interface ComposeProject {
  /** `-p`, `name:` in the file, or the directory name (lower-cased, [a-z0-9_-]) */
  name: string;
  /** the directory relative paths were resolved against (the first file's directory) */
  workingDir: string;
  services: Record<string, ServiceConfig>;
  /** always has `default` unless every service sets `networks` or `network_mode` */
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  /** things the user should hear about that are not errors: unset variables, ignored keys */
  warnings?: string[];
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceConfig {
  name: string;
  image?: string;
  build?: { context: string; dockerfile?: string; args: Record<string, string>; target?: string };
  /** a string command is split like a shell (no variables, quotes respected), as Compose does */
  command?: string[];
  entrypoint?: string[];
  /** env_file first, then `environment`; a key listed without value takes the loader's environment, or is left out */
  environment: Record<string, string>;
  ports: ServicePort[];
  volumes: ServiceVolume[];
  /** network key (in ComposeProject.networks) → per-service options */
  networks: Record<string, { aliases: string[]; ipv4Address?: string }>;
  /** `host` / `none` / `service:NAME` / `container:NAME`; excludes `networks` */
  networkMode?: string;
  dependsOn: Record<string, { condition: DependsOnCondition; required: boolean; restart: boolean }>;
  /** Docker's restart policy string: no | always | unless-stopped | on-failure[:N] */
  restart?: string;
  healthcheck?: ServiceHealthcheck;
  labels: Record<string, string>;
  containerName?: string;
  hostname?: string;
  workingDir?: string;
  user?: string;
  /** deploy.resources.limits.cpus / cpus */
  cpus?: number;
  /** deploy.resources.limits.memory / mem_limit, in bytes */
  memory?: number;
  /** deploy.replicas / scale (default 1) */
  replicas: number;
  stopSignal?: string;
  /** seconds */
  stopGracePeriod?: number;
  tty: boolean;
  stdinOpen: boolean;
  init?: boolean;
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  extraHosts: string[];
  dns: string[];
  /** `pull_policy`: always | never | missing (default) | build */
  pullPolicy: 'always' | 'never' | 'missing' | 'build';
  /** `profiles:`; a service with profiles is only started when one is active */
  profiles: string[];
  /** `shm_size` in bytes */
  shmSize?: number;
  ulimits?: { name: string; soft: number; hard: number }[];
  sysctls?: Record<string, string>;
  /** `cpuset`: the CPUs the service may run on */
  cpuset?: string;
}

export interface ServicePort {
  /** container port */
  target: number;
  /** host port or range ("8080", "8080-8081"); undefined = a random port */
  published?: string;
  hostIp?: string;
  protocol: 'tcp' | 'udp';
}

export interface ServiceVolume {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: absolute host path; volume: key in ComposeProject.volumes, or undefined for an anonymous volume */
  source?: string;
  target: string;
  readOnly: boolean;
  /** bind: create the host path if missing (short syntax does, long syntax's bind.create_host_path) */
  createHostPath?: boolean;
  /** the `tmpfs:` key's options (`size=64m,mode=1777,exec`), Docker's --tmpfs defaults under them */
  tmpfsOptions?: string;
  /** long syntax `tmpfs: {size, mode}` */
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export interface ServiceHealthcheck {
  /** ['CMD', ...] | ['CMD-SHELL', cmd] | ['NONE'] — what the image config's Healthcheck.Test takes */
  test?: string[];
  /** nanoseconds, as the image config */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
  disable: boolean;
}

export interface NetworkConfig {
  /** the runtime's network name: `name:` or `<project>_<key>` */
  name: string;
  external: boolean;
  driver?: string;
  internal: boolean;
  subnet?: string;
  gateway?: string;
  labels: Record<string, string>;
}

export interface VolumeConfig {
  /** the runtime's volume name: `name:` or `<project>_<key>` */
  name: string;
  external: boolean;
  driver?: string;
  labels: Record<string, string>;
}

/** A file given to the loader: its path (for relative paths and error messages) and text */
export interface ComposeFile {
  path: string;
  content: string;
}

export interface LoadOptions {
  files: ComposeFile[];
  /** `-p`; otherwise the file's `name:` or the first file's directory name */
  projectName?: string;
  /** variables for `${VAR}` and valueless `environment` keys: the process env merged over `.env` by the caller */
  env: Record<string, string>;
  /** active profiles (`--profile`) */
  profiles?: string[];
}
