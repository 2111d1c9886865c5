import { Unavailable } from '../../errors.js';
import { type ContainerContext, isUp } from '../context.js';
import { killCgroup } from '../lifecycle/cgroup-kill.js';
import { waitExitEvent } from '../lifecycle/exit.js';
import { parseSignal } from '../spec/signals.js';
import { signalInit } from './kill.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from '../lifecycle/log.js';

/** the stop signal, then SIGKILL to the whole cgroup after `timeout` seconds (Docker's stop) */
export async function stop(ctx: ContainerContext, idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  const c = ctx.store.get(idOrName);
  const timer = ctx.restartTimers.get(c.record.id);
  if (timer) {
    clearTimeout(timer);
    ctx.restartTimers.delete(c.record.id);
    await ctx.setState(c, { status: 'exited', stoppedByUser: true });
    return;
  }
  const timeout = opts.timeout ?? c.record.stopTimeout;
  const sig = parseSignal(opts.signal ?? c.record.stopSignal);
  // the signal goes under the lock (the pid is the current run's); the wait does not
  const run = await ctx.withLock(c.record.id, async () => {
    if (!isUp(c)) return 0; // Docker: 304, not an error
    await ctx.setState(c, { stoppedByUser: true });
    if (c.state.status === 'paused')
      await ctx
        .cgroup(c)
        .freeze(false)
        .catch(logFailure(log, 'warn', 'thawing a paused container to stop it', { container: c.record.id }));
    signalInit(c, sig);
    return c.state.shimPid;
  });
  if (!run) return;
  // Docker's events for a stop: kill (the stop signal), kill 9 if it takes too long, die, stop
  ctx.emit(c, 'kill', { signal: String(sig) });
  if (timeout < 0 || !(await waitExitEvent(ctx, c, timeout * 1000))) {
    const killed = await ctx.withLock(c.record.id, async () => {
      if (c.state.shimPid !== run) return false;
      await killCgroup(ctx.cgroup(c));
      return true;
    });
    if (killed) ctx.emit(c, 'kill', { signal: '9' });
    if (!(await waitExitEvent(ctx, c, 10_000))) throw new Unavailable(`container ${c.record.name} did not exit after SIGKILL`);
  }
  ctx.emit(c, 'stop');
}
