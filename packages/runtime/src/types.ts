/**
 * The runtime's public shapes. The agent's tRPC routers, the CLI and (later) the
 * dashboard all speak these, so they follow Docker's names where Docker has one.
 */
import type { Readable } from 'node:stream';

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

/**
 * Docker's health check config (image `Healthcheck`, inspect `Config.Healthcheck`).
 * Test: ['CMD', argv...] | ['CMD-SHELL', command] | ['NONE'] (disabled) | [] (inherit).
 * Durations are nanoseconds; 0 or absent means "inherit, else the default".
 */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** inspect `State.Health`, persisted as is in the container's state.json */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  /** the last 5 probes, oldest first */
  Log: HealthLogEntry[];
}

export interface HealthLogEntry {
  Start: string; // RFC3339Nano
  End: string;
  /** 0 healthy, anything else a failure; -1 when the probe timed out or could not run */
  ExitCode: number;
  /** stdout and stderr together, at most 4096 bytes (then "...") */
  Output: string;
}

export interface ImageInspect extends ImageSummary {
  architecture: string;
  os: string;
  config: ImageConfig;
  rootFS: { type: 'layers'; diffIDs: string[] };
  manifestDigest: string;
  layers: { digest: string; diffID: string; size: number; mediaType: string }[];
}

export type RestartPolicy =
  | { name: 'no' }
  | { name: 'on-failure'; maximumRetryCount?: number }
  | { name: 'always' }
  | { name: 'unless-stopped' };

/** One mount of a container, as requested (Docker's `-v`, `--mount`, `--tmpfs`). */
export interface MountRequest {
  type: 'bind' | 'volume' | 'tmpfs';
  /** host path (bind), volume name (volume; empty = anonymous), unused for tmpfs */
  source?: string;
  target: string;
  readOnly?: boolean;
  tmpfsSize?: number;
  tmpfsMode?: number;
  /** tmpfs: `noexec`/`exec`, `nosuid`/`suid`, `nodev`/`dev`, `uid=N`, `gid=N`, `nr_inodes=N` (later wins) */
  tmpfsOptions?: string[];
  /** volume: don't copy the image's content in (volume-nocopy) */
  noCopy?: boolean;
}

/** `-p [ip:][hostPort:]containerPort[/proto]`; hostPort 0/absent = a random free port */
export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp?: string;
  hostPort?: number;
}

/** one resource limit (`--ulimit nofile=1024:2048`); -1 is unlimited */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface ContainerCreateSpec {
  image: string;
  name?: string;
  cmd?: string[];
  entrypoint?: string[]; // [] clears the image entrypoint
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  openStdin?: boolean;
  autoRemove?: boolean;
  init?: boolean;
  readOnly?: boolean;
  /** `--cgroupns`: Docker's CgroupnsMode; private (the default) gives the container a cgroup namespace of its own */
  cgroupns?: 'private' | 'host';
  capAdd?: string[];
  capDrop?: string[];
  restartPolicy?: RestartPolicy;
  network?: string; // 'none' | 'host' | (later) 'bridge' or a user network
  memory?: number; // bytes
  memorySwap?: number;
  nanoCpus?: number; // --cpus * 1e9
  cpuShares?: number;
  pidsLimit?: number;
  /** `--cpuset-cpus` / `--cpuset-mems`: lists such as `0-2,4` */
  cpusetCpus?: string;
  cpusetMems?: string;
  /** `--shm-size`: bytes of /dev/shm (Docker's default 64 MiB) */
  shmSize?: number;
  /** `--ulimit name=soft[:hard]`; -1 is unlimited */
  ulimits?: Ulimit[];
  /** `--sysctl`: only sysctls of the container's own namespaces (net.*, kernel.shm*, …) */
  sysctls?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  mounts?: MountRequest[];
  /** `--volumes-from CONTAINER[:ro|rw]` */
  volumesFrom?: string[];
  ports?: PortBinding[];
  /** -P: publish every port the image EXPOSEs on a random host port */
  publishAll?: boolean;
  /** `--expose 80[/udp]`: exposed besides the image's EXPOSE (what -P publishes) */
  exposedPorts?: string[];
  /** --ip on a user-defined network */
  ip?: string;
  networkAliases?: string[];
  /** --link NAME[:ALIAS] (default bridge) */
  links?: string[];
  dns?: string[];
  /** --add-host host:ip */
  extraHosts?: string[];
  macAddress?: string;
  /**
   * `--health-*` / `--no-healthcheck`: overrides the image's HEALTHCHECK field by field
   * (`test: ['NONE']` disables it). Durations in nanoseconds, as Docker's API.
   */
  healthcheck?: { test?: string[]; interval?: number; timeout?: number; startPeriod?: number; startInterval?: number; retries?: number };
}

/**
 * `docker update`: new resource limits and restart policy for a container, running or not.
 * What is left out stays as it is.
 */
export interface ContainerUpdateSpec {
  /** bytes, at least 6 MiB */
  memory?: number;
  /** memory + swap in bytes; -1 for unlimited swap */
  memorySwap?: number;
  /** --cpus x 1e9 */
  nanoCpus?: number;
  cpuShares?: number;
  /** 0 or less removes the limit */
  pidsLimit?: number;
  /** CPU and memory-node lists; '' puts back every one the host has */
  cpusetCpus?: string;
  cpusetMems?: string;
  restartPolicy?: RestartPolicy;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

export interface ContainerSummary {
  id: string;
  names: string[]; // ['/name'] as Docker
  image: string;
  imageId: string;
  command: string;
  created: number; // unix seconds
  state: ContainerStatus;
  status: string; // "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago"
  /** health of a running container that has a health check */
  health?: HealthState['Status'];
  labels: Record<string, string>;
  ports: { privatePort: number; publicPort?: number; type: 'tcp' | 'udp'; ip?: string }[];
  networks: string[];
}

/** Docker's `wait?condition=`; see ContainerManager.wait */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ListContainersOptions {
  all?: boolean;
  /** health: a check's status, or 'none' for containers without one (Docker's `health=` filter) */
  filters?: { status?: ContainerStatus[]; name?: string[]; label?: string[]; id?: string[]; health?: (HealthState['Status'] | 'none')[] };
}

export interface LogsOptions {
  follow?: boolean;
  tail?: number; // lines from the end; undefined = all
  since?: number; // unix seconds (fractional allowed)
  until?: number;
  timestamps?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string; // RFC3339Nano
  line: string; // includes the trailing newline when the program wrote one
}

/**
 * Consecutive log lines of one stream with one timestamp (the shim stamps everything it
 * read from the container at once with one time): `text` is the lines as written. Only
 * the last line of a chunk may lack its newline, so the entries can always be recovered.
 */
/** how a log goes out as bytes (logStream) */
export interface LogStreamOptions {
  /** each line's time in front, as `docker logs -t` prints it */
  timestamps?: boolean;
  /** no 8-byte frame headers: the bytes as a TTY container wrote them */
  raw?: boolean;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  time: string;
  text: string;
}

export interface ExecSpec {
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  env?: string[];
  workingDir?: string;
  user?: string;
  privileged?: boolean;
}

export interface ProcessList {
  titles: string[];
  processes: string[][];
}

export interface ContainerStats {
  read: string;
  cpuPercent: number;
  cpuTotalNs: number;
  systemNs: number;
  onlineCpus: number;
  memoryUsage: number;
  memoryLimit: number;
  pids: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}

export interface FileChange {
  path: string;
  kind: 0 | 1 | 2; // Docker: 0 modified (C), 1 added (A), 2 deleted (D)
}

/** A live byte stream to a container's stdio (attach) or an exec session. */
export interface StdioSession {
  /** bytes to the process's stdin (ignored when stdin is not open) */
  write(data: Buffer): void;
  /** close the process's stdin (EOF) */
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  /** detach from the session without affecting the process */
  detach(): void;
  /** stop / restart reading output (flow control for slow readers) */
  pause?(): void;
  resume?(): void;
  on(event: 'stdout' | 'stderr', listener: (chunk: Buffer) => void): this;
  /** the process ended; for attach this is the container's exit code */
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface ImageService {
  pull(ref: string, opts?: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: { username: string; password: string } }): Promise<ImageInspect>;
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

export interface ContainerService {
  create(spec: ContainerCreateSpec): Promise<{ id: string; warnings: string[] }>;
  start(idOrName: string): Promise<void>;
  /** create + start; with attach the returned session is connected before the process execs */
  run(spec: ContainerCreateSpec, opts?: { attach?: boolean }): Promise<{ id: string; session?: StdioSession }>;
  stop(idOrName: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  kill(idOrName: string, signal?: string): Promise<void>;
  restart(idOrName: string, opts?: { timeout?: number }): Promise<void>;
  pause(idOrName: string): Promise<void>;
  unpause(idOrName: string): Promise<void>;
  remove(idOrName: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  list(opts?: ListContainersOptions): Promise<ContainerSummary[]>;
  /** Docker-like inspect JSON (Id, Name, State, Config, HostConfig, Mounts, NetworkSettings, ...) */
  inspect(idOrName: string): Promise<Record<string, unknown>>;
  logs(idOrName: string, opts?: LogsOptions & { signal?: AbortSignal }): AsyncIterable<LogEntry>;
  /** the same lines as chunks, a batch per read of the log: what streams that carry many lines send */
  logChunks(idOrName: string, opts?: LogsOptions & { signal?: AbortSignal }): AsyncIterable<LogChunk[]>;
  /** the same as Docker's stream bytes (8-byte frame headers; none with `raw`): the fastest form, for byte streams */
  logStream(idOrName: string, opts?: LogsOptions & LogStreamOptions & { signal?: AbortSignal }): AsyncIterable<Buffer>;
  attach(idOrName: string): Promise<StdioSession>;
  exec(idOrName: string, spec: ExecSpec): Promise<StdioSession>;
  top(idOrName: string, psArgs?: string): Promise<ProcessList>;
  stats(idOrName: string): Promise<ContainerStats>;
  /** resolves with the exit code once `condition` (default `not-running`) holds */
  wait(idOrName: string, opts?: { signal?: AbortSignal; condition?: WaitCondition }): Promise<{ statusCode: number }>;
  rename(idOrName: string, newName: string): Promise<void>;
  /** `docker update`: kept in the record (so restarts and a restarted agent keep it); a running container's cgroup takes it at once */
  update(idOrName: string, spec: ContainerUpdateSpec): Promise<{ warnings: string[] }>;
  /** tar stream of a path in the container (like `docker cp ctr:path -`) */
  copyFrom(idOrName: string, path: string): Promise<NodeJS.ReadableStream>;
  /** extract a tar stream into a directory in the container */
  copyTo(idOrName: string, path: string, tar: NodeJS.ReadableStream): Promise<void>;
  diff(idOrName: string): Promise<FileChange[]>;
  /** `docker run` without -d: starts a created container with a session connected before its process execs */
  startAttached(idOrName: string): Promise<StdioSession>;
  /** `docker commit`: the container's changes as a new image on top of its own */
  commit(idOrName: string, opts?: CommitOptions): Promise<{ id: string }>;
  /** `network connect`: joins now if running, and on every later start */
  connect(idOrName: string, network: string, opts?: { ip?: string; aliases?: string[] }): Promise<void>;
  disconnect(idOrName: string, network: string): Promise<void>;
  /** `docker export`: the container's filesystem (no volumes or binds) as a tar stream */
  export(idOrName: string): Promise<Readable>;
  /** `container prune`: removes every stopped container */
  prune(): Promise<{ deleted: string[] }>;
  /** bytes in each container's writable layer (`system df`) */
  diskUsage(): Promise<{ id: string; name: string; size: number }[]>;
  /** containers by state (`info`) */
  counts(): { total: number; running: number; paused: number; stopped: number };
}

/** `docker commit` options */
export interface CommitOptions {
  /** `repo[:tag]` for the new image; without it the image is dangling (`<none>`) */
  ref?: string;
  /** the history entry's comment (`-m`) */
  message?: string;
  /** the image's author (`-a`) */
  author?: string;
  /** Dockerfile instructions applied to the config (`-c`): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD */
  changes?: string[];
  /** freeze a running container while its layer is written (default true, like Docker) */
  pause?: boolean;
  /** the whole image config instead of the one derived from the container (a build's RUN step) */
  config?: ImageConfig & { OnBuild?: string[] | null };
  /** the history's created_by instead of the container's command */
  createdBy?: string;
}

export interface SystemInfo {
  version: string;
  root: string;
  kernel: string;
  os: string;
  cpus: number;
  memTotal: number;
  cgroupVersion: 1 | 2;
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
}

export interface RuntimeApi {
  images: ImageService;
  containers: ContainerService;
  info(): Promise<SystemInfo>;
  /** lifecycle events (Docker's `events`): container create/start/die/destroy..., image pull/tag/delete */
  onEvent(listener: (e: RuntimeEvent) => void, opts?: { /** the last 1000 events first, through the same listener */ replay?: boolean }): () => void;
  close(): Promise<void>;
}

export interface RuntimeEvent {
  type: 'container' | 'image' | 'volume' | 'network';
  action: string;
  id: string;
  attributes: Record<string, string>;
  time: number; // unix ns
}
