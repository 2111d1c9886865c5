import type { ContainerInspect } from '@skiff/docker-types';
import type { ContainerContext } from '../context.js';
import { containerInspect } from '../views/inspect.js';

/** Docker's inspect JSON */
export async function inspect(ctx: ContainerContext, idOrName: string): Promise<ContainerInspect> {
  const c = ctx.store.get(idOrName);
  const lowers = await ctx.opts.images.layerDirs(c.record.imageId).catch(() => []);
  return containerInspect(c, lowers, ctx.opts.networks.networkingOf(c.record.id));
}
