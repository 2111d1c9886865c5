import type { ContainerContext } from '../context.js';
import type { StoredContainer } from '../store/container-store.js';
import { startLocked } from './launch.js';

/**
 * The restart policy after an exit, with Docker's back-off: 100 ms doubling (at most a
 * minute), reset when the container ran for 10 s or more.
 */
export function maybeRestart(ctx: ContainerContext, c: StoredContainer): void {
  const p = c.record.restartPolicy;
  const s = c.state;
  if (s.stoppedByUser || p.name === 'no') return;
  if (p.name === 'on-failure' && (s.exitCode === 0 || (p.maximumRetryCount && s.restartCount >= p.maximumRetryCount))) return;
  const ranMs = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
  const delay = ranMs >= 10_000 ? 100 : Math.min(60_000, 100 * 2 ** Math.min(s.restartCount, 10));
  void ctx.setState(c, { status: 'restarting' });
  const t = setTimeout(() => {
    ctx.restartTimers.delete(c.record.id);
    void ctx.withLock(c.record.id, async () => {
      if (c.state.status !== 'restarting' || !ctx.store.find(c.record.id)) return;
      // "restarting" until the start is done: a removal waits for it rather than seeing "exited"
      c.state.restartCount++;
      await startLocked(ctx, c, false).catch(async (e) => {
        await ctx.setState(c, { status: 'exited', error: (e as Error).message });
      });
      if ((c.state.status as string) === 'running') ctx.emit(c, 'restart');
    });
  }, delay);
  t.unref();
  ctx.restartTimers.set(c.record.id, t);
}
