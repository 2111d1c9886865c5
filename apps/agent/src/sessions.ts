import { randomBytes } from 'node:crypto';
import type { StdioSession } from '@skiff/runtime';
import { logFailure, logger } from '@skiff/logger';
import { wakeOrAbort } from './abort-wait.js';
import type { Principal } from './auth/principal.js';

const log = logger.child({ component: 'sessions' });

export type SessionEvent = { type: 'stdout' | 'stderr'; data: string } | { type: 'exit'; code: number };

/** Output queued for a session's reader; above it the source is paused (exec pipes then block the process, as in Docker). */
const HIGH_WATER = 1024 * 1024;
/** Hard cap for sources that cannot be paused (an attach socket the shim feeds): the oldest output goes. */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** A session nobody subscribes to within this time is detached (a CLI that died between calls). */
const UNCLAIMED_MS = 30_000;
/** How long an exec session outlives its reader's socket, for a reload or a network blip to re-attach. */
const REATTACH_GRACE_MS = 15_000;

/** whose a session is: the user (any of their sessions and tokens), else the kind of caller */
export function sessionOwner(p: Principal): string {
  return p.userId ? `user:${p.userId}` : `${p.kind}:${p.username}`;
}

export interface SessionOptions {
  /** sessionOwner() of the caller that made it: only that owner can read, write or re-attach */
  owner: string;
  /** the container's full id (a re-attach names the container it expects) */
  containerId: string;
  /** ending the session kills the process (an exec), rather than only letting go of it (an attach) */
  killOnClose?: boolean;
  /** a reader going away leaves the session this long for a new reader (0: it ends at once) */
  graceMs?: number;
}

/**
 * Live stdio sessions (attach, exec, run with attach) keyed by an id the client gets from
 * the mutation that created them. Output is buffered (bounded) until the client's
 * subscription reads it, so a `run` never loses its first bytes; input arrives through
 * small mutations with the same id. One reader at a time: a new subscription takes over.
 */
export class StreamSession {
  readonly id = randomBytes(16).toString('hex');
  private queue: SessionEvent[] = [];
  private queued = 0;
  private wake?: () => void;
  private ended = false;
  private claimTimer?: NodeJS.Timeout;
  /** bumped by each new reader; an older reader sees it changed and returns without ending the session */
  private reader = 0;
  dropped = 0;

  constructor(
    readonly session: StdioSession,
    readonly tty: boolean,
    readonly opts: SessionOptions,
    private readonly onEnd: () => void,
  ) {
    session.on('stdout', (d: Buffer) => this.push({ type: 'stdout', data: d.toString('base64') }, d.length));
    session.on('stderr', (d: Buffer) => this.push({ type: 'stderr', data: d.toString('base64') }, d.length));
    session.on('exit', (code: number) => {
      this.push({ type: 'exit', code }, 0);
      this.ended = true;
    });
    session.on('error', (err: Error) => log.debug('stdio session error', { session: this.id, err }));
    this.arm(UNCLAIMED_MS);
  }

  private paused = false;

  /** (re)starts the timer that ends a session without a reader */
  private arm(ms: number): void {
    clearTimeout(this.claimTimer);
    this.claimTimer = setTimeout(() => this.close(), ms);
    this.claimTimer.unref();
  }

  private push(e: SessionEvent, size: number): void {
    this.queue.push(e);
    this.queued += size;
    if (this.queued > HIGH_WATER && !this.paused && this.session.pause) {
      this.paused = true;
      this.session.pause();
    }
    while (this.queued > MAX_BUFFERED && this.queue.length > 1) {
      const old = this.queue.shift()!;
      if (old.type !== 'exit') {
        const n = Buffer.byteLength(old.data, 'base64');
        this.queued -= n;
        this.dropped += n;
      }
    }
    this.wake?.();
  }

  async *events(signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    clearTimeout(this.claimTimer);
    const me = ++this.reader;
    // a reader still waiting is told to go: this one takes over (a reloaded page re-attaching)
    this.wake?.();
    try {
      for (;;) {
        while (this.queue.length && me === this.reader) {
          const e = this.queue.shift()!;
          if (e.type !== 'exit') this.queued -= Buffer.byteLength(e.data, 'base64');
          if (this.paused && this.queued < HIGH_WATER / 2) {
            this.paused = false;
            this.session.resume?.();
          }
          yield e;
          if (e.type === 'exit') return;
        }
        if (signal?.aborted || me !== this.reader || this.ended) return;
        let mine: (() => void) | undefined;
        await wakeOrAbort(signal, (wake) => (this.wake = mine = wake));
        // a reader that took over may have set its own wake meanwhile
        if (this.wake === mine) this.wake = undefined;
      }
    } finally {
      // the reader went away: end the session, or leave it a grace to re-attach
      if (me === this.reader) {
        if (!this.ended && this.opts.graceMs) this.arm(this.opts.graceMs);
        else this.close();
      }
    }
  }

  /** whether this session is still running */
  get live(): boolean {
    return !this.ended;
  }

  /** Ends the session: an exec'd process is killed (like a terminal window closing), an attach only lets go. */
  close(): void {
    clearTimeout(this.claimTimer);
    if (!this.ended) {
      if (this.opts.killOnClose && this.session.kill)
        void this.session.kill().catch(logFailure(log, 'warn', 'killing the process of an abandoned session', { session: this.id }));
      else this.session.detach();
    }
    this.ended = true;
    this.wake?.();
    this.onEnd();
  }
}

export class SessionRegistry {
  private readonly sessions = new Map<string, StreamSession>();

  add(session: StdioSession, tty: boolean, opts: SessionOptions): StreamSession {
    const s = new StreamSession(session, tty, opts, () => this.sessions.delete(s.id));
    this.sessions.set(s.id, s);
    return s;
  }

  /** the session if `owner` made it; another caller's session is as good as none (its id is not proof of anything) */
  get(id: string, owner: string): StreamSession | undefined {
    const s = this.sessions.get(id);
    return s && s.opts.owner === owner ? s : undefined;
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.close();
  }
}

/** the grace an interactive exec gets to re-attach (SKIFF_SESSION_GRACE_MS, for tests) */
export function reattachGraceMs(): number {
  const v = Number(process.env.SKIFF_SESSION_GRACE_MS);
  return Number.isFinite(v) && v >= 0 && process.env.SKIFF_SESSION_GRACE_MS ? v : REATTACH_GRACE_MS;
}
