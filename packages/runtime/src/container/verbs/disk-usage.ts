import { join } from 'node:path';
import type { ContainerContext } from '../context.js';
import { treeSize } from '../fs/tree-size.js';

/** bytes in each container's writable layer (`system df`) */
export async function diskUsage(ctx: ContainerContext): Promise<{ id: string; name: string; size: number }[]> {
  const out: { id: string; name: string; size: number }[] = [];
  for (const c of ctx.store.newestFirst()) out.push({ id: c.record.id, name: c.record.name, size: await treeSize(join(c.dir, 'upper')) });
  return out;
}
