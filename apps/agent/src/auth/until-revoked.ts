import { TRPCError } from '@trpc/server';
import type { Principal } from './principal.js';
import { revocations } from './revocation.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'auth' });

/** setTimeout's longest delay; a later expiry is checked again when it fires */
const MAX_DELAY = 2 ** 31 - 1;

export const revokedError = () =>
  new TRPCError({ code: 'UNAUTHORIZED', message: 'your session or API token was revoked, expired, or your account changed: authenticate again' });

/**
 * A subscription's events while its principal stays current: a revocation (or the
 * credential's expiry) ends it with UNAUTHORIZED at once, even while it waits for its next
 * event (a followed log, a stats stream).
 */
export async function* untilRevoked<T>(source: AsyncIterable<T>, p: Principal): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  // one settled-per-event promise (not a race against one long-pending promise, whose
  // reactions would pile up with every event of a long stream)
  let revoked = false;
  let wake: ((r: 'revoked') => void) | undefined;
  const recheck = () => {
    if (revocations.isCurrent(p)) return;
    revoked = true;
    wake?.('revoked');
  };
  const off = revocations.onRevoke(recheck);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (p.expiresAt === undefined) return;
    timer = setTimeout(
      () => {
        recheck();
        if (!revoked) arm();
      },
      Math.min(Math.max(p.expiresAt - Date.now(), 0), MAX_DELAY),
    );
    timer.unref();
  };
  arm();
  let finished = false;
  try {
    for (;;) {
      const r = revoked
        ? 'revoked'
        : await new Promise<IteratorResult<T> | 'revoked'>((resolve, reject) => {
            wake = resolve;
            it.next().then(resolve, reject);
          });
      wake = undefined;
      if (r === 'revoked' || revoked) throw revokedError();
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    off();
    clearTimeout(timer);
    // the source may be waiting for an event: its return() is not awaited (it ends when its abort signal fires)
    if (!finished) void it.return?.()?.catch(logFailure(log, 'warn', 'a subscription ended with an error after revocation'));
  }
}
