import { join } from 'node:path';
import type { FileChange } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { containerDiff } from '../fs/diff.js';
import { runtimePlaceholders } from '../fs/runtime-placeholders.js';

/** the container's changes against its image (`docker diff`) */
export async function diff(ctx: ContainerContext, idOrName: string): Promise<FileChange[]> {
  const c = ctx.store.get(idOrName);
  const upper = join(c.dir, 'upper');
  const lowers = await ctx.opts.images.layerDirs(c.record.imageId);
  return containerDiff(upper, lowers, await runtimePlaceholders(upper, lowers));
}
