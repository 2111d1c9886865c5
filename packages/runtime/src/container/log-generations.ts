import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One generation of the log (what is `container.log` between two rotations), held open:
 * the shim renames it to `.1`, `.2` … and finally deletes it, and an open handle still
 * reads all of it, so a follower that is behind loses nothing to rotation.
 */
export interface Generation {
  fh: FileHandle;
  ino: number;
  pos: number;
}

/** safety net for missed inotify events (and the only way on filesystems without them) */
const POLL_MS = 250;
/**
 * A follower that does not read at all (a paused `logs -f | less`) must not keep every
 * rotated file on disk forever: beyond this many held generations the oldest unread ones
 * are let go, as Docker's follower loses them too. With the default 20 MiB × 5 files that
 * is at most ~220 MiB of deleted files kept alive per stalled follower.
 */
export const MAX_HELD_GENERATIONS = 16;

/** container.log.N … container.log.1, container.log: oldest first */
export async function logFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const rotated = names
    .map((n) => /^container\.log\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => join(dir, m[0]));
  return [...rotated, join(dir, 'container.log')];
}

export async function openGeneration(path: string): Promise<Generation | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return undefined;
  return { fh, ino: (await fh.stat()).ino, pos: 0 };
}

/**
 * Keeps a follower's list of held generations current *while the follower is not reading*:
 * the shim can rotate a generation away in a few tens of milliseconds at full speed, and a
 * consumer that waits on a slow socket must not lose it. Discovery runs on the directory's
 * rename events and on a timer, independent of the consumer. The follower reads
 * `gens[0]` concurrently; it drops a finished generation only through `exclusive`, so a
 * discovery never sees a generation half-dropped (and re-opens it as new).
 */
export class GenerationWatch {
  private readonly path: string;
  private watcher?: FSWatcher;
  private readonly timer: NodeJS.Timeout;
  private wake?: () => void;
  private chain: Promise<unknown> = Promise.resolve();
  private queued?: Promise<void>;
  private closed = false;

  constructor(
    private readonly dir: string,
    readonly gens: Generation[],
  ) {
    this.path = join(dir, 'container.log');
    try {
      this.watcher = watch(dir, (event) => {
        // 'change' is every write of the shim; a rotation is renames and a new file
        if (event === 'rename') void this.discover();
        this.wake?.();
      });
    } catch {
      /* polling only */
    }
    this.timer = setInterval(() => {
      void this.discover();
      this.wake?.();
    }, POLL_MS);
    this.timer.unref();
  }

  /** runs fn after every discovery queued before it, and before any queued after it */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  /** opens the generations newer than the newest held one; coalesces requests that queue up */
  discover(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.queued ??= this.exclusive(async () => {
      this.queued = undefined;
      if (this.closed) return;
      await discoverGenerations(this.dir, this.path, this.gens).catch(() => {});
      while (this.gens.length > MAX_HELD_GENERATIONS) {
        // never gens[0]: the follower may be reading it right now
        const [dropped] = this.gens.splice(1, 1);
        await dropped!.fh.close().catch(() => {});
      }
    });
    return this.queued;
  }

  /** resolves at the next event in the directory, a poll tick or `wake()` */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** ends an `idle()` early (an abort) */
  interrupt(): void {
    this.wake?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.close();
    this.wake?.();
    await this.chain;
  }
}

/**
 * When `container.log` is no longer the newest generation held, opens every generation
 * newer than that one, oldest first: all of them if it has already been deleted.
 */
async function discoverGenerations(dir: string, path: string, gens: Generation[]): Promise<void> {
  const newest = gens[gens.length - 1];
  const st = await stat(path).catch(() => undefined);
  if (!st || st.ino === newest?.ino) return;
  let found: Generation[] = [];
  for (const file of await logFiles(dir)) {
    const g = await openGeneration(file);
    if (!g) continue;
    if (gens.some((h) => h.ino === g.ino) || found.some((h) => h.ino === g.ino)) {
      await g.fh.close();
      // everything before the newest held one is older still
      if (g.ino === newest?.ino) {
        for (const old of found) await old.fh.close();
        found = [];
      }
      continue;
    }
    found.push(g);
  }
  gens.push(...found);
}
