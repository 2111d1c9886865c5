import type { ContainerContext } from '../context.js';
import { startLocked } from '../lifecycle/launch.js';
import { stop } from './stop.js';

export async function restart(ctx: ContainerContext, idOrName: string, opts: { timeout?: number } = {}): Promise<void> {
  const c = ctx.store.get(idOrName);
  await stop(ctx, c.record.id, opts);
  await ctx.withLock(c.record.id, () => startLocked(ctx, c, false));
  ctx.emit(c, 'restart');
}
