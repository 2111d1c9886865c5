import type { ProcessList } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { containerTop } from '../stats/top.js';

export async function top(ctx: ContainerContext, idOrName: string, psArgs?: string): Promise<ProcessList> {
  const c = ctx.store.get(idOrName);
  ctx.requireRunning(c);
  return containerTop(await ctx.cgroup(c).pids(), psArgs);
}
