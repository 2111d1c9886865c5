import { InvalidArgument } from '../../errors.js';
import type { WaitCondition } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { checkExit } from '../lifecycle/exit.js';

/**
 * Docker's wait conditions: `not-running` returns at once for a stopped container,
 * `next-exit` waits for the next exit even from `created`, `removed` waits until the
 * container is gone (its exit code kept). Waiters are registered before any state is
 * re-read, so a container that starts, exits and is removed in a millisecond is not missed.
 */
export async function wait(
  ctx: ContainerContext,
  idOrName: string,
  opts: { signal?: AbortSignal; condition?: WaitCondition } = {},
): Promise<{ statusCode: number }> {
  const c = ctx.store.get(idOrName);
  const condition = opts.condition ?? 'not-running';
  const active = () => c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting' || ctx.finishing.has(c.record.id);
  if (condition === 'not-running' && !active()) return { statusCode: c.state.exitCode };
  const map = condition === 'removed' ? ctx.removeWaiters : ctx.exitWaiters;
  if (condition === 'removed' && !ctx.store.find(c.record.id)) return { statusCode: c.state.exitCode };
  await new Promise<void>((resolve, reject) => {
    const list = map.get(c.record.id) ?? [];
    // a cancelled wait takes its waiter and its abort listener away with it: a client that
    // polls wait on a long-running container leaves nothing behind
    const onAbort = () => {
      const left = map.get(c.record.id)?.filter((w) => w !== waiter);
      if (left?.length) map.set(c.record.id, left);
      else if (left) map.delete(c.record.id);
      reject(new InvalidArgument('wait aborted'));
    };
    const waiter = () => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    list.push(waiter);
    map.set(c.record.id, list);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (active()) void checkExit(ctx, c);
  });
  return { statusCode: c.state.exitCode };
}
