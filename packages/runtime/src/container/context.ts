import { Conflict } from '../errors.js';
import type { ImageInspect, RuntimeEvent } from '../types.js';
import type { NewImageSpec } from '../image/image-create.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { VolumeStore } from '../volume/volume-store.js';
import { ContainerCgroup } from './cgroup/cgroups.js';
import type { HealthMonitor } from './health/health-monitor.js';
import { ExitWatch } from './lifecycle/exit-watch.js';
import { lifecycleWarn } from './lifecycle/log.js';
import type { StartPhases } from './shim/start-timeline.js';
import type { ContainerState } from './store/container-record.js';
import type { ContainerStore, StoredContainer } from './store/container-store.js';
import { ContainerSummaryCache } from './views/summary-cache.js';
import { afterSettled } from '../settled.js';

/** What the container manager needs from the image store. */
export interface ImageProvider {
  resolve(refOrId: string): Promise<ImageInspect>;
  /** overlay lower dirs of the image, top-most first */
  layerDirs(imageId: string): Promise<string[]>;
  /** a new image from a layer source on top of a parent (commit, build) */
  createImage(spec: NewImageSpec): Promise<ImageInspect>;
}

export interface ContainerManagerOptions {
  root: string;
  images: ImageProvider;
  volumes: VolumeStore;
  networks: NetworkManager;
  emit: (e: Omit<RuntimeEvent, 'time'>) => void;
  /** cgroup parent under every hierarchy (default `skiff`) */
  cgroupParent?: string;
  /** log rotation (default 20 MiB x 5 files, like Docker's `local` driver) */
  logMaxSize?: number;
  logMaxFiles?: number;
  /** receives each start's time per phase (benchmarks); the shim then reports its own marks too */
  onStartPhases?: (containerId: string, phases: StartPhases) => void;
}

export const nowIso = () =>
  new Date()
    .toISOString()
    .replace(/Z$/, '000000Z')
    .replace(/\.(\d{9})\d*Z$/, '.$1Z');

/** running or paused: a shim and a container process exist */
export const isUp = (c: StoredContainer) => c.state.status === 'running' || c.state.status === 'paused';

/**
 * What every verb shares (moby's `*Daemon`, narrowed): the record store, the other stores,
 * the per-container lock, event emission and the supervisor's bookkeeping (exit watch,
 * waiters, restart timers, health monitors). The verbs are functions over it, so none of
 * them holds state of its own.
 */
export class ContainerContext {
  /** one promise chain per container: its verbs run one at a time */
  private readonly locks = new Map<string, Promise<unknown>>();
  readonly exitWaiters = new Map<string, (() => void)[]>();
  /** `wait --condition removed`: woken once the container's directory is gone */
  readonly removeWaiters = new Map<string, (() => void)[]>();
  readonly restartTimers = new Map<string, NodeJS.Timeout>();
  readonly healthMonitors = new Map<string, HealthMonitor>();
  /** containers whose exit is being recorded (and, with --rm, removed): wait() is not done yet */
  readonly finishing = new Set<string>();
  /** `ps` summaries reused while their container does not change */
  readonly summaries = new ContainerSummaryCache();
  /** made once: `ps` hands it to the summary cache on every call */
  readonly networkingOf = (id: string) => this.opts.networks.networkingOf(id);
  readonly exits: ExitWatch;
  closed = false;

  constructor(
    readonly store: ContainerStore,
    readonly opts: ContainerManagerOptions,
    /** the supervisor's exit check, run by the exit watch on exit.json and on its sweep */
    checkExit: (c: StoredContainer) => Promise<void>,
  ) {
    this.exits = new ExitWatch((id) => this.store.find(id), checkExit);
  }

  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = afterSettled(prev).then(fn);
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  emit(c: StoredContainer, action: string, extra: Record<string, string> = {}): void {
    this.summaries.invalidate(c);
    if (c.record.internal) return; // users see no event of a container they cannot see
    this.opts.emit({
      type: 'container',
      action,
      id: c.record.id,
      attributes: { name: c.record.name, image: c.record.image, ...c.record.labels, ...extra },
    });
  }

  async setState(c: StoredContainer, patch: Partial<ContainerState>): Promise<void> {
    Object.assign(c.state, patch);
    this.summaries.invalidate(c);
    // memory is the truth while the agent runs; a restarted one rebuilds from the shims,
    // so a failed write (a full disk) must not fail a stop or a removal
    await this.store.saveState(c).catch((e) => lifecycleWarn(`writing state.json (${c.state.status})`, c.record.id, e));
  }

  cgroup(c: StoredContainer): ContainerCgroup {
    return ContainerCgroup.for(this.opts.cgroupParent ?? 'skiff', c.record.id);
  }

  requireRunning(c: StoredContainer): void {
    if (!isUp(c)) throw new Conflict(`container ${c.record.id.slice(0, 12)} is not running`);
  }

  /** wakes and forgets everyone waiting on `id` in `waiters` */
  wake(waiters: Map<string, (() => void)[]>, id: string): void {
    const list = waiters.get(id) ?? [];
    waiters.delete(id);
    for (const w of list) w();
  }
}
