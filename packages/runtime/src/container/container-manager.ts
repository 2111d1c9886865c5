import type { Readable } from 'node:stream';
import type { ContainerInspect } from '@skiff/docker-types';
import type {
  CommitOptions,
  ContainerCreateSpec,
  ContainerService,
  ContainerStats,
  ContainerSummary,
  ContainerUpdateSpec,
  ExecSpec,
  FileChange,
  ListContainersOptions,
  LogChunk,
  LogEntry,
  LogStreamOptions,
  LogsOptions,
  ProcessList,
  StdioSession,
  WaitCondition,
} from '../types.js';
import { ContainerContext, type ContainerManagerOptions } from './context.js';
import { checkExit } from './lifecycle/exit.js';
import { adoptAll } from './lifecycle/reconcile.js';
import { ContainerStore, type StoredContainer } from './store/container-store.js';
import { removeOrphanedInternal } from './store/internal-containers.js';
import { volumeUsers } from './store/volume-users.js';
import { attach } from './verbs/attach.js';
import { commit } from './verbs/commit.js';
import { connect, disconnect } from './verbs/connect.js';
import { copyFrom, copyTo } from './verbs/copy.js';
import { create } from './verbs/create.js';
import { diff } from './verbs/diff.js';
import { diskUsage } from './verbs/disk-usage.js';
import { exec } from './verbs/exec.js';
import { announceExec } from './stdio/exec-events.js';
import { exportFs } from './verbs/export.js';
import { inspect } from './verbs/inspect.js';
import { kill } from './verbs/kill.js';
import { counts, list } from './verbs/list.js';
import { logChunks, logs, logStream } from './verbs/logs.js';
import { pause, unpause } from './verbs/pause.js';
import { prune } from './verbs/prune.js';
import { remove } from './verbs/remove.js';
import { rename } from './verbs/rename.js';
import { restart } from './verbs/restart.js';
import { run, start, startAttached } from './verbs/start.js';
import { stats } from './verbs/stats.js';
import { stop } from './verbs/stop.js';
import { top } from './verbs/top.js';
import { update } from './verbs/update.js';
import { wait } from './verbs/wait.js';

export type { CommitOptions } from '../types.js';
export type { ContainerManagerOptions, ImageProvider } from './context.js';

type ReadOptions = LogsOptions & { signal?: AbortSignal };

/**
 * The container runtime's facade: each verb lives in verbs/ (one file per verb, over the
 * shared ContainerContext), the supervision of running containers (shim launch, exit
 * detection, restart back-off, adoption) in lifecycle/, health checks in health/, and the
 * records on disk in store/. This class only wires them to the ContainerService interface.
 */
export class ContainerManager implements ContainerService {
  private constructor(private readonly ctx: ContainerContext) {}

  static async open(opts: ContainerManagerOptions): Promise<ContainerManager> {
    const store = await ContainerStore.open(opts.root);
    const ctx: ContainerContext = new ContainerContext(store, opts, (c) => checkExit(ctx, c));
    const m = new ContainerManager(ctx);
    await adoptAll(ctx);
    await removeOrphanedInternal(
      store.all().map((c) => c.record),
      (id) => m.remove(id, { force: true }),
    );
    return m;
  }

  /** ids of the containers (any state) that mount a volume */
  volumeUsers(name: string): string[] {
    return volumeUsers(this.ctx.store, name);
  }

  /** is this the runtime's own container (a build step's), which no user sees? */
  isInternal(id: string): boolean {
    return !!this.ctx.store.find(id)?.record.internal;
  }

  /** true while some container (in any state) was created from the image */
  usesImage(imageId: string): boolean {
    return this.ctx.store.all().some((c) => c.record.imageId === imageId);
  }

  /** the stored container (for the agent's own bookkeeping, e.g. a TTY flag before attaching) */
  get(idOrName: string): StoredContainer {
    return this.ctx.store.get(idOrName);
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    ctx.closed = true;
    ctx.exits.close();
    for (const t of ctx.restartTimers.values()) clearTimeout(t);
    // the containers keep running; the next agent resumes their checks from state.json
    for (const h of ctx.healthMonitors.values()) h.stop();
    ctx.healthMonitors.clear();
  }

  create(spec: ContainerCreateSpec): Promise<{ id: string; warnings: string[] }> {
    return create(this.ctx, spec);
  }

  start(idOrName: string): Promise<void> {
    return start(this.ctx, idOrName);
  }

  startAttached(idOrName: string): Promise<StdioSession> {
    return startAttached(this.ctx, idOrName);
  }

  run(spec: ContainerCreateSpec, opts?: { attach?: boolean }): Promise<{ id: string; session?: StdioSession }> {
    return run(this.ctx, spec, opts);
  }

  stop(idOrName: string, opts?: { timeout?: number; signal?: string }): Promise<void> {
    return stop(this.ctx, idOrName, opts);
  }

  kill(idOrName: string, signal?: string): Promise<void> {
    return kill(this.ctx, idOrName, signal);
  }

  restart(idOrName: string, opts?: { timeout?: number }): Promise<void> {
    return restart(this.ctx, idOrName, opts);
  }

  pause(idOrName: string): Promise<void> {
    return pause(this.ctx, idOrName);
  }

  unpause(idOrName: string): Promise<void> {
    return unpause(this.ctx, idOrName);
  }

  remove(idOrName: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void> {
    return remove(this.ctx, idOrName, opts);
  }

  rename(idOrName: string, newName: string): Promise<void> {
    return rename(this.ctx, idOrName, newName);
  }

  update(idOrName: string, spec: ContainerUpdateSpec): Promise<{ warnings: string[] }> {
    return update(this.ctx, idOrName, spec);
  }

  connect(idOrName: string, network: string, opts?: { ip?: string; aliases?: string[] }): Promise<void> {
    return connect(this.ctx, idOrName, network, opts);
  }

  disconnect(idOrName: string, network: string): Promise<void> {
    return disconnect(this.ctx, idOrName, network);
  }

  async list(opts?: ListContainersOptions): Promise<ContainerSummary[]> {
    return list(this.ctx, opts);
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    return counts(this.ctx);
  }

  inspect(idOrName: string): Promise<ContainerInspect> {
    return inspect(this.ctx, idOrName);
  }

  logs(idOrName: string, opts?: ReadOptions): AsyncIterable<LogEntry> {
    return logs(this.ctx, idOrName, opts);
  }

  logChunks(idOrName: string, opts?: ReadOptions): AsyncIterable<LogChunk[]> {
    return logChunks(this.ctx, idOrName, opts);
  }

  logStream(idOrName: string, opts?: ReadOptions & LogStreamOptions): AsyncIterable<Buffer> {
    return logStream(this.ctx, idOrName, opts);
  }

  attach(idOrName: string): Promise<StdioSession> {
    return attach(this.ctx, idOrName);
  }

  exec(idOrName: string, spec: ExecSpec): Promise<StdioSession> {
    return exec(this.ctx, idOrName, spec);
  }

  announceExec(idOrName: string, execId: string, cmd: string[]): void {
    announceExec(this.ctx, this.ctx.store.get(idOrName), execId, cmd);
  }

  top(idOrName: string, psArgs?: string): Promise<ProcessList> {
    return top(this.ctx, idOrName, psArgs);
  }

  stats(idOrName: string): Promise<ContainerStats> {
    return stats(this.ctx, idOrName);
  }

  wait(idOrName: string, opts?: { signal?: AbortSignal; condition?: WaitCondition }): Promise<{ statusCode: number }> {
    return wait(this.ctx, idOrName, opts);
  }

  diff(idOrName: string): Promise<FileChange[]> {
    return diff(this.ctx, idOrName);
  }

  commit(idOrName: string, opts?: CommitOptions): Promise<{ id: string }> {
    return commit(this.ctx, idOrName, opts);
  }

  copyFrom(idOrName: string, path: string): Promise<NodeJS.ReadableStream> {
    return copyFrom(this.ctx, idOrName, path);
  }

  copyTo(idOrName: string, path: string, tar: NodeJS.ReadableStream): Promise<void> {
    return copyTo(this.ctx, idOrName, path, tar);
  }

  export(idOrName: string): Promise<Readable> {
    return exportFs(this.ctx, idOrName);
  }

  prune(): Promise<{ deleted: string[] }> {
    return prune(this.ctx);
  }

  diskUsage(): Promise<{ id: string; name: string; size: number }[]> {
    return diskUsage(this.ctx);
  }
}
