/** What a caller asks of a container: creation, update and commit requests. */
import type { ImageConfig } from '@skiff/docker-types';

export type RestartPolicy = { name: 'no' } | { name: 'on-failure'; maximumRetryCount?: number } | { name: 'always' } | { name: 'unless-stopped' };

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
  /**
   * the networks it joins besides `network`, each with its own address and aliases (Docker's
   * EndpointsConfig with several entries, API 1.44+: `docker run --network a --network b`)
   */
  extraNetworks?: EndpointRequest[];
  /** `ConsoleSize` [rows, cols]: the tty's size from the first instant (`docker run -it`, API 1.42+) */
  consoleSize?: [number, number];
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

/** one more network a container is created on, with what its endpoint there gets */
export interface EndpointRequest {
  network: string;
  ip?: string;
  aliases?: string[];
  macAddress?: string;
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
