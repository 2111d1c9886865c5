import { watch, type FSWatcher } from 'node:fs';
import type { StoredContainer } from '../store/container-store.js';
import { FULL_CHECK_EVERY, inSlices, shimMayHaveExited } from './exit-sweep.js';
import { lifecycleWarn } from './log.js';

const SWEEP_MS = 1000;

/**
 * Exit detection for running containers: inotify on the container dir for exit.json, and
 * a sweep every second for shims that died without writing it. Both only call `check`;
 * what an exit means is the container manager's.
 */
export class ExitWatch {
  private readonly watchers = new Map<string, FSWatcher | undefined>();
  private readonly timer: NodeJS.Timeout;
  private sweeping = false;
  private sweeps = 0;

  constructor(
    private readonly find: (id: string) => StoredContainer | undefined,
    private readonly check: (c: StoredContainer) => Promise<void>,
  ) {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  watch(c: StoredContainer): void {
    if (this.watchers.has(c.record.id)) return;
    let w: FSWatcher | undefined;
    try {
      w = watch(c.dir, (_ev, file) => {
        if (file === 'exit.json') void this.check(c);
      });
      w.on('error', (e) => lifecycleWarn('watching for its exit (the sweep still sees it)', c.record.id, e));
    } catch (e) {
      lifecycleWarn('watching for its exit (the sweep still sees it)', c.record.id, e);
    }
    this.watchers.set(c.record.id, w);
    void this.check(c); // the container may have finished before the watch was armed
  }

  unwatch(id: string): void {
    this.watchers.get(id)?.close();
    this.watchers.delete(id);
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.watchers.values()) w?.close();
    this.watchers.clear();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return; // a sweep sliced over many containers may outlast the interval
    this.sweeping = true;
    const round = this.sweeps++;
    try {
      await inSlices([...this.watchers.keys()], async (id, i) => {
        const c = this.find(id);
        if (!c) return this.unwatch(id);
        if ((i + round) % FULL_CHECK_EVERY === 0 || shimMayHaveExited(c.dir, c.state.shimPid)) {
          await this.check(c).catch((e) => lifecycleWarn('recording its exit', id, e));
        }
      });
    } finally {
      this.sweeping = false;
    }
  }
}
