import { randomBytes } from 'node:crypto';
import type { StdioSession } from '@skiff/runtime';
import { wakeOrAbort } from './abort-wait.js';

export type SessionEvent = { type: 'stdout' | 'stderr'; data: string } | { type: 'exit'; code: number };

/** Output queued for a session's reader; above it the source is paused (exec pipes then block the process, as in Docker). */
const HIGH_WATER = 1024 * 1024;
/** Hard cap for sources that cannot be paused (an attach socket the shim feeds): the oldest output goes. */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** A session nobody subscribes to within this time is detached (a CLI that died between calls). */
const UNCLAIMED_MS = 30_000;

/**
 * Live stdio sessions (attach, exec, run with attach) keyed by an id the client gets from
 * the mutation that created them. Output is buffered (bounded) until the client's
 * subscription reads it, so a `run` never loses its first bytes; input arrives through
 * small mutations with the same id.
 */
export class StreamSession {
  readonly id = randomBytes(12).toString('hex');
  private queue: SessionEvent[] = [];
  private queued = 0;
  private wake?: () => void;
  private ended = false;
  private claimTimer?: NodeJS.Timeout;
  dropped = 0;

  constructor(
    readonly session: StdioSession,
    readonly tty: boolean,
    private readonly onEnd: () => void,
  ) {
    session.on('stdout', (d: Buffer) => this.push({ type: 'stdout', data: d.toString('base64') }, d.length));
    session.on('stderr', (d: Buffer) => this.push({ type: 'stderr', data: d.toString('base64') }, d.length));
    session.on('exit', (code: number) => {
      this.push({ type: 'exit', code }, 0);
      this.ended = true;
    });
    session.on('error', () => {});
    this.claimTimer = setTimeout(() => this.close(), UNCLAIMED_MS);
    this.claimTimer.unref();
  }

  private paused = false;

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
    try {
      for (;;) {
        while (this.queue.length) {
          const e = this.queue.shift()!;
          if (e.type !== 'exit') this.queued -= Buffer.byteLength(e.data, 'base64');
          if (this.paused && this.queued < HIGH_WATER / 2) {
            this.paused = false;
            this.session.resume?.();
          }
          yield e;
          if (e.type === 'exit') return;
        }
        if (signal?.aborted) return;
        await wakeOrAbort(signal, (wake) => (this.wake = wake));
        this.wake = undefined;
      }
    } finally {
      // the client went away: detach (an exec'd process sees its stdio close; a container keeps running)
      this.close();
    }
  }

  close(): void {
    clearTimeout(this.claimTimer);
    if (!this.ended) this.session.detach();
    this.ended = true;
    this.onEnd();
  }
}

export class SessionRegistry {
  private readonly sessions = new Map<string, StreamSession>();

  add(session: StdioSession, tty: boolean): StreamSession {
    const s = new StreamSession(session, tty, () => this.sessions.delete(s.id));
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string): StreamSession | undefined {
    return this.sessions.get(id);
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.close();
  }
}
