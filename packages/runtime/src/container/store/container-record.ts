import type { ContainerCreateSpec, HealthConfig, HealthState, RestartPolicy } from '../../types.js';
import type { ResolvedMount } from '../spec/mounts.js';
import type { NetworkRequest } from '../../network/network-manager.js';

/**
 * What the agent persists per container in `containers/<id>/config.json`. The shape is
 * the runtime's own; Docker's inspect JSON is derived from it (see inspect.ts).
 */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string; // RFC3339Nano
  image: string; // as the user wrote it
  imageId: string;
  /** the normalised creation request, kept verbatim so inspect and restarts can use it */
  spec: ContainerCreateSpec;
  /** resolved process: entrypoint + cmd merged with the image config */
  path: string;
  args: string[];
  env: string[];
  workingDir: string;
  user: string;
  hostname: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
  labels: Record<string, string>;
  restartPolicy: RestartPolicy;
  stopSignal: string;
  stopTimeout: number;
  capabilities: string[];
  mounts: ResolvedMount[];
  /** bridge networks the container joins at start (the first carries its ports) */
  networks: NetworkRequest[];
  /** the image's EXPOSE list ("80/tcp"), for -P */
  exposedPorts: string[];
  /** the image's HEALTHCHECK merged with `run`'s flags (absent: no check) */
  healthcheck?: HealthConfig;
  /** the image's SHELL, which a CMD-SHELL check runs under */
  healthShell?: string[];
  /** set for a container the runtime made for itself (a build's RUN step): hidden from users (see internal-containers.ts) */
  internal?: 'build';
}

/** `containers/<id>/state.json`: the agent's view; exit.json from the shim wins for exits. */
export interface ContainerState {
  status: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
  pid: number;
  shimPid: number;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  restartCount: number;
  /** set by an explicit stop/kill so restart policies (and unless-stopped after reboot) hold back */
  stoppedByUser: boolean;
  /** kept here, not in memory, so a restarted agent carries on with the same streak and log */
  health?: HealthState;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    status: 'created',
    pid: 0,
    shimPid: 0,
    startedAt: ZERO_TIME,
    finishedAt: ZERO_TIME,
    exitCode: 0,
    oomKilled: false,
    error: '',
    restartCount: 0,
    stoppedByUser: false,
  };
}

/** Docker's default capability set (what `docker run` keeps). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];
