import { Conflict } from '../../errors.js';
import type { ContainerContext } from '../context.js';

/** freezes the container's cgroup */
export async function pause(ctx: ContainerContext, idOrName: string): Promise<void> {
  const c = ctx.store.get(idOrName);
  await ctx.withLock(c.record.id, async () => {
    if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is already paused`);
    ctx.requireRunning(c);
    await ctx.cgroup(c).freeze(true);
    await ctx.setState(c, { status: 'paused' });
  });
  ctx.emit(c, 'pause');
}

export async function unpause(ctx: ContainerContext, idOrName: string): Promise<void> {
  const c = ctx.store.get(idOrName);
  await ctx.withLock(c.record.id, async () => {
    if (c.state.status !== 'paused') throw new Conflict(`container ${c.record.name} is not paused`);
    await ctx.cgroup(c).freeze(false);
    await ctx.setState(c, { status: 'running' });
  });
  ctx.emit(c, 'unpause');
}
