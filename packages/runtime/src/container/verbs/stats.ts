import type { ContainerStats } from '../../types.js';
import { type ContainerContext, isUp } from '../context.js';
import { sampleStats } from '../stats/stats.js';

export async function stats(ctx: ContainerContext, idOrName: string): Promise<ContainerStats> {
  const c = ctx.store.get(idOrName);
  return sampleStats(c.record.id, ctx.cgroup(c), isUp(c) ? c.state.pid : 0);
}
