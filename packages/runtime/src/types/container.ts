/** The container service the runtime exposes and the shapes it answers with. */
import type { Readable } from 'node:stream';
import type { ContainerInspect, HealthStatus } from '@skiff/docker-types';
import type { CommitOptions, ContainerCreateSpec, ContainerUpdateSpec } from './container-spec.js';
import type { LogChunk, LogEntry, LogsOptions, LogStreamOptions } from './logs.js';

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
  health?: HealthStatus;
  labels: Record<string, string>;
  ports: { privatePort: number; publicPort?: number; type: 'tcp' | 'udp'; ip?: string }[];
  networks: string[];
  /** the container's addresses on its networks while it has them (running), in the order of `networks` */
  ipAddresses?: string[];
}

/** Docker's `wait?condition=`; see ContainerManager.wait */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ListContainersOptions {
  all?: boolean;
  /** health: a check's status, or 'none' for containers without one (Docker's `health=` filter) */
  filters?: { status?: ContainerStatus[]; name?: string[]; label?: string[]; id?: string[]; health?: (HealthStatus | 'none')[] };
}

export interface ExecSpec {
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  env?: string[];
  workingDir?: string;
  user?: string;
  privileged?: boolean;
  /** an exec announced with `announceExec` (Docker's create step); without it the start announces one itself */
  execId?: string;
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
  /** resolves once stdin has taken what was written (back-pressure for large inputs: a restore's SQL) */
  stdinDrained?(): Promise<void>;
  resize(rows: number, cols: number): void;
  /** detach from the session without affecting the process */
  detach(): void;
  /** kill the process (an exec'd one; an attach has none of its own) and let go of it */
  kill?(): Promise<void>;
  /** stop / restart reading output (flow control for slow readers) */
  pause?(): void;
  resume?(): void;
  on(event: 'stdout' | 'stderr', listener: (chunk: Buffer) => void): this;
  /** the process ended; for attach this is the container's exit code */
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
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
  /** Docker's inspect JSON (Id, Name, State, Config, HostConfig, Mounts, NetworkSettings, ...) */
  inspect(idOrName: string): Promise<ContainerInspect>;
  logs(idOrName: string, opts?: LogsOptions & { signal?: AbortSignal }): AsyncIterable<LogEntry>;
  /** the same lines as chunks, a batch per read of the log: what streams that carry many lines send */
  logChunks(idOrName: string, opts?: LogsOptions & { signal?: AbortSignal }): AsyncIterable<LogChunk[]>;
  /** the same as Docker's stream bytes (8-byte frame headers; none with `raw`): the fastest form, for byte streams */
  logStream(idOrName: string, opts?: LogsOptions & LogStreamOptions & { signal?: AbortSignal }): AsyncIterable<Buffer>;
  attach(idOrName: string): Promise<StdioSession>;
  exec(idOrName: string, spec: ExecSpec): Promise<StdioSession>;
  /** Docker's `exec_create: CMD` event for an exec `execId` that a later `exec` with that id starts */
  announceExec(idOrName: string, execId: string, cmd: string[]): void;
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
