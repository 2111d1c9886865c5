import type { Logger } from '@skiff/logger';
import { redactUrl } from './validate.js';
import { remoteHead } from './remote-head.js';
import type { GitAuth } from './session.js';

export interface PollTarget {
  url: string;
  branch: string;
  auth: GitAuth;
  /** the commit already deployed: a different head on the first poll fires; without it the first poll only sets the baseline */
  commit?: string;
}

interface Watch {
  target: PollTarget;
  onChange: (commit: string) => void;
  last: string | undefined;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  inFlight: AbortController | undefined;
}

/** errors back the interval off up to this many times the interval */
const MAX_BACKOFF = 16;

/**
 * Polls remote branch heads (`ls-remote`) for hosts that cannot reach the agent's
 * webhook. Each key has at most one request in flight, the next poll is scheduled only
 * when the last ended, intervals are jittered ±20% so many apps do not poll in step, and
 * failures double the wait (up to 16×) until one succeeds.
 */
export class SourcePoller {
  private readonly watches = new Map<string, Watch>();
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly opts: { intervalMs: number; logger: Logger; remoteHead?: typeof remoteHead }) {
    if (!(opts.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.log = opts.logger.child({ component: 'git-poller' });
  }

  watch(key: string, target: PollTarget, onChange: (commit: string) => void): void {
    if (this.closed) throw new Error('the poller is closed');
    this.unwatch(key);
    const w: Watch = { target, onChange, last: target.commit, failures: 0, timer: undefined, inFlight: undefined };
    this.watches.set(key, w);
    // the first poll comes soon but spread, so a restart does not poll every app at once
    this.schedule(key, w, Math.random() * Math.min(this.opts.intervalMs, 5_000));
  }

  unwatch(key: string): void {
    const w = this.watches.get(key);
    if (!w) return;
    this.watches.delete(key);
    clearTimeout(w.timer);
    w.inFlight?.abort();
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.watches.keys()]) this.unwatch(key);
  }

  private schedule(key: string, w: Watch, delayMs: number): void {
    w.timer = setTimeout(() => void this.poll(key, w), delayMs);
    w.timer.unref();
  }

  private nextDelay(w: Watch): number {
    const backoff = Math.min(2 ** w.failures, MAX_BACKOFF);
    return this.opts.intervalMs * backoff * (0.8 + Math.random() * 0.4);
  }

  private async poll(key: string, w: Watch): Promise<void> {
    if (this.watches.get(key) !== w) return;
    const ac = new AbortController();
    w.inFlight = ac;
    let head: string | undefined;
    try {
      head = await (this.opts.remoteHead ?? remoteHead)({ ...w.target, signal: ac.signal });
      w.failures = 0;
    } catch (e) {
      w.failures++;
      if (!ac.signal.aborted)
        this.log.warn('polling the git branch failed', { key, url: redactUrl(w.target.url), branch: w.target.branch, failures: w.failures, err: e });
    } finally {
      w.inFlight = undefined;
    }
    // unwatched (or replaced) while the request ran: its answer is nobody's
    if (this.watches.get(key) !== w) return;
    if (head !== undefined) {
      const changed = w.last !== undefined && head !== w.last;
      const first = w.last === undefined;
      w.last = head;
      if (changed) {
        this.log.info('the git branch moved', { key, branch: w.target.branch, commit: head });
        try {
          w.onChange(head);
        } catch (e) {
          this.log.error('the poller change handler threw', { key, err: e });
        }
      } else if (first) this.log.debug('polling baseline', { key, commit: head });
    }
    if (this.watches.get(key) === w) this.schedule(key, w, this.nextDelay(w));
  }
}
