import { close, closeSync, fstat, fstatSync, openSync, read, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logger } from '@skiff/logger';
import { afterSettled } from '../../settled.js';

const log = logger.child({ component: 'logs' });

/**
 * One generation of the log (what is `container.log` between two rotations), held open:
 * the shim renames it to `.1`, `.2` … and finally deletes it, and an open descriptor still
 * reads all of it, so a follower that is behind loses nothing to rotation.
 */
export interface Generation {
  fd: number;
  ino: number;
  pos: number;
}

const readAsync = promisify(read);
const fstatAsync = promisify(fstat);

export const readGeneration = async (g: Generation, buf: Buffer, offset: number, length: number, position: number): Promise<number> =>
  (await readAsync(g.fd, buf, offset, length, position)).bytesRead;
export const generationSize = async (g: Generation): Promise<number> => (await fstatAsync(g.fd)).size;
export const closeGeneration = (g: Generation): Promise<void> => new Promise((resolve) => close(g.fd, () => resolve()));

/** safety net for missed inotify events (and the only way on filesystems without them) */
const POLL_MS = 250;
/**
 * A follower that does not read at all (a paused `logs -f | less`) must not keep every
 * rotated file on disk forever: once it has read nothing for STALLED_MS and the generations
 * it holds beyond the one it reads add up to more than MAX_HELD_BYTES, the oldest unread
 * ones are let go, as Docker's follower loses them too. A follower that is only slower than
 * a burst of output keeps everything. Bytes, not files: the limit must not depend on how
 * small the files are rotated.
 */
export const MAX_HELD_BYTES = 256 * 1024 * 1024;
export const STALLED_MS = 10_000;

/** what bounds a follower's held generations (tests lower both) */
export interface HoldLimits {
  maxHeldBytes?: number;
  stalledMs?: number;
}

const LOG_NAME = /^container\.log\.(\d+)$/;

/** names → paths: container.log.N … container.log.1, container.log (oldest first) */
function orderLogFiles(dir: string, names: string[]): string[] {
  const rotated = names
    .map((n) => LOG_NAME.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => join(dir, m[0]));
  return [...rotated, join(dir, 'container.log')];
}

export function openGeneration(path: string): Generation | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return { fd, ino: fstatSync(fd).ino, pos: 0 };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/**
 * Keeps a follower's list of held generations current *while the follower is not reading*:
 * the shim can rotate a generation away in a few milliseconds at full speed, and a consumer
 * that waits on a slow socket must not lose it. Discovery runs on the directory's rename
 * events and on a timer, independent of the consumer. The follower reads `gens[0]`
 * concurrently; it drops a finished generation only through `exclusive`, so a discovery
 * never sees a generation half-dropped.
 */
export class GenerationWatch {
  private readonly path: string;
  private watcher?: FSWatcher;
  private readonly timer: NodeJS.Timeout;
  private wake?: () => void;
  private chain: Promise<unknown> = Promise.resolve();
  private queued?: Promise<void>;
  private closed = false;
  private lastRead = Date.now();
  private readonly maxHeldBytes: number;
  private readonly stalledMs: number;

  constructor(
    private readonly dir: string,
    readonly gens: Generation[],
    limits: HoldLimits = {},
  ) {
    this.maxHeldBytes = limits.maxHeldBytes ?? MAX_HELD_BYTES;
    this.stalledMs = limits.stalledMs ?? STALLED_MS;
    this.path = join(dir, 'container.log');
    try {
      this.watcher = watch(dir, (event) => {
        // 'change' is every write of the shim; a rotation is renames and a new file
        if (event === 'rename') void this.discover();
        this.wake?.();
      });
    } catch (e) {
      // inotify watches can run out (fs.inotify.max_user_watches): polling alone still follows
      log.debug('watching a container log directory; polling only', { dir, err: e });
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
    this.chain = afterSettled(p);
    return p;
  }

  /** opens the generations newer than the newest held one; coalesces requests that queue up */
  discover(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.queued ??= this.exclusive(async () => {
      this.queued = undefined;
      if (this.closed) return;
      await discoverGenerations(this.dir, this.path, this.gens);
      if (Date.now() - this.lastRead < this.stalledMs) return;
      // never gens[0]: the follower may be reading it right now
      let held = 0;
      for (let i = 1; i < this.gens.length; i++) held += fstatSync(this.gens[i]!.fd).size;
      while (this.gens.length > 2 && held > this.maxHeldBytes) {
        const [dropped] = this.gens.splice(1, 1);
        held -= fstatSync(dropped!.fd).size;
        await closeGeneration(dropped!);
      }
    });
    return this.queued;
  }

  /** the follower read something: it is not stalled */
  noteRead(): void {
    this.lastRead = Date.now();
  }

  /** resolves at the next event in the directory, a poll tick or `interrupt()` */
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

interface Listed {
  path: string;
  ino: number;
}

/** the log's files, oldest first, with their inodes; undefined while a rotation is half done */
function listing(dir: string, path: string): Listed[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const out: Listed[] = [];
  for (const p of orderLogFiles(dir, names)) {
    try {
      out.push({ path: p, ino: statSync(p).ino });
    } catch {
      if (p === path) return undefined; // container.log renamed, the new one not there yet
    }
  }
  return out;
}

const sameListing = (a: Listed[], b: Listed[]) => a.length === b.length && a.every((x, i) => x.path === b[i]!.path && x.ino === b[i]!.ino);

/** every generation of the log, oldest first, opened from one consistent look at the directory */
export async function openGenerations(dir: string): Promise<Generation[]> {
  const gens: Generation[] = [];
  await discoverGenerations(dir, join(dir, 'container.log'), gens);
  return gens;
}

/**
 * When `container.log` is no longer the newest generation held, opens every generation
 * newer than that one, oldest first: all of them if it has already been deleted.
 *
 * The shim may rotate meanwhile (every name moves one generation older), so the files are
 * opened between two listings of the directory and kept only when both listings agree and
 * each file opened is the one its name had. The scan is synchronous (a few dozen µs for a
 * dozen files) so that it nearly always falls between two rotations even when the shim
 * rotates every few milliseconds; when it does not, it yields and looks again.
 */
async function discoverGenerations(dir: string, path: string, gens: Generation[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const newest = gens[gens.length - 1];
    let current: number;
    try {
      current = statSync(path).ino;
    } catch {
      current = -1; // mid-rotation, or no log yet
    }
    if (current === newest?.ino) return;
    const before = current === -1 ? undefined : listing(dir, path);
    const opened: Generation[] = [];
    let consistent = !!before;
    for (const f of before ?? []) {
      const g = openGeneration(f.path);
      if (!g || g.ino !== f.ino) {
        if (g) closeSync(g.fd);
        consistent = false;
        break;
      }
      opened.push(g);
    }
    const after = consistent ? listing(dir, path) : undefined;
    if (consistent && after && sameListing(before!, after)) {
      // everything up to the newest held one is held already, or older still
      const at = newest ? opened.findIndex((g) => g.ino === newest.ino) : -1;
      for (const g of opened.slice(0, at + 1)) closeSync(g.fd);
      gens.push(...opened.slice(at + 1));
      return;
    }
    for (const g of opened) closeSync(g.fd);
    if (current === -1 && !existsLog(dir)) return; // nothing to follow yet
    await new Promise((r) => setImmediate(r)); // mid-rotation: let the shim finish it
  }
}

function existsLog(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => n === 'container.log' || LOG_NAME.test(n));
  } catch {
    return false;
  }
}
