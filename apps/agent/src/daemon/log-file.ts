import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, renameSync, statSync, writeSync } from 'node:fs';

export interface LogFileOptions {
  path: string;
  /** bytes after which the file is rotated */
  maxSize: number;
  /** files kept in all, Docker's json-file meaning: the log and maxFiles-1 rotated ones (PATH.1 newest) */
  maxFiles: number;
}

export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

/** how often the path is checked for a file moved or removed by someone else (logrotate, an operator) */
const REOPEN_CHECK_MS = 1000;

/**
 * The agent's own log, rotated by size as it writes: no SIGHUP and no logrotate needed.
 * Writes are synchronous so a line written just before an exit (a fatal fault) is on disk.
 * Every file is 0600: the log carries the one-time setup link.
 */
export class RotatingLog {
  private fd = -1;
  private ino = 0;
  private checkedAt = 0;
  private failed = false;

  constructor(private readonly opts: LogFileOptions) {
    this.open();
  }

  write(chunk: Uint8Array): void {
    try {
      this.reopenIfMoved();
      const size = fstatSync(this.fd).size;
      if (size > 0 && size + chunk.length > this.opts.maxSize) this.rotate();
      for (let off = 0; off < chunk.length; ) off += writeSync(this.fd, chunk, off, chunk.length - off);
      this.failed = false;
    } catch (e) {
      // the log is where errors go: say it once on the original stderr (a pipe, the journal, /dev/null)
      if (!this.failed) writeSync(2, `skiff agent: cannot write the log ${this.opts.path}: ${(e as Error).message}\n`);
      this.failed = true;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private open(): void {
    // O_NOFOLLOW: a symlink planted at the path must not redirect root's writes
    this.fd = openSync(this.opts.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const st = fstatSync(this.fd);
    if ((st.mode & 0o777) !== 0o600) fchmodSync(this.fd, 0o600); // an existing 0644 log is tightened too
    this.ino = st.ino;
    this.checkedAt = Date.now();
  }

  private rotate(): void {
    if (this.opts.maxFiles <= 1) {
      ftruncateSync(this.fd, 0);
      return;
    }
    this.close();
    const { path, maxFiles } = this.opts;
    for (let i = maxFiles - 1; i >= 1; i--) renameIfThere(i === 1 ? path : `${path}.${i - 1}`, `${path}.${i}`);
    this.open();
  }

  private reopenIfMoved(): void {
    const now = Date.now();
    if (now - this.checkedAt < REOPEN_CHECK_MS) return;
    this.checkedAt = now;
    let ino = 0;
    try {
      ino = statSync(this.opts.path).ino;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (ino === this.ino) return;
    this.close();
    this.open();
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

type Write = typeof process.stdout.write;

/**
 * Sends what the agent writes on stdout and stderr (its own lines, console.*, fault reports)
 * to the rotating log instead of fds 1 and 2. What bypasses Node's streams (a V8 fatal error)
 * still goes to the fds the agent was started with.
 */
export function writeOutputTo(log: RotatingLog): void {
  const to = (): Write =>
    function write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void): boolean {
      log.write(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (done) process.nextTick(done);
      return true;
    } as unknown as Write;
  process.stdout.write = to();
  process.stderr.write = to();
}
