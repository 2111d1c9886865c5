import type { ContainerContext } from '../context.js';

export async function rename(ctx: ContainerContext, idOrName: string, newName: string): Promise<void> {
  const c = ctx.store.get(idOrName);
  const old = c.record.name;
  await ctx.store.rename(c, newName);
  ctx.emit(c, 'rename', { oldName: `/${old}` });
}
