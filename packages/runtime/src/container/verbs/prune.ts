import type { ContainerContext } from '../context.js';
import { remove } from './remove.js';

/** `container prune`: every stopped container */
export async function prune(ctx: ContainerContext): Promise<{ deleted: string[] }> {
  const deleted: string[] = [];
  for (const c of ctx.store.newestFirst()) {
    if (c.state.status !== 'exited' && c.state.status !== 'created' && c.state.status !== 'dead') continue;
    await remove(ctx, c.record.id).then(
      () => deleted.push(c.record.id),
      () => {},
    );
  }
  return { deleted };
}
