import type { ContainerContext } from '../context.js';
import { waitExitEvent } from '../lifecycle/exit.js';
import { parseSignal } from '../spec/signals.js';
import type { StoredContainer } from '../store/container-store.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from '../lifecycle/log.js';

/** a signal to the container's init; one that has just exited is no error */
export function signalInit(c: StoredContainer, sig: number): void {
  try {
    process.kill(c.state.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

export async function kill(ctx: ContainerContext, idOrName: string, signal = 'SIGKILL'): Promise<void> {
  const c = ctx.store.get(idOrName);
  const sig = parseSignal(signal);
  await ctx.withLock(c.record.id, async () => {
    ctx.requireRunning(c);
    if (sig === 9) await ctx.setState(c, { stoppedByUser: true });
    if (c.state.status === 'paused' && sig === 9)
      await ctx
        .cgroup(c)
        .freeze(false)
        .catch(logFailure(log, 'warn', 'thawing a paused container to kill it', { container: c.record.id }));
    signalInit(c, sig);
  });
  ctx.emit(c, 'kill', { signal: String(sig) });
  if (sig === 9) await waitExitEvent(ctx, c, 10_000);
}
