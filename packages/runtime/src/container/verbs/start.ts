import type { Socket } from 'node:net';
import { Conflict } from '../../errors.js';
import type { ContainerCreateSpec, StdioSession } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { startLocked } from '../lifecycle/launch.js';
import { attachTo } from './attach.js';
import { create } from './create.js';
import { remove } from './remove.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from '../lifecycle/log.js';

export async function start(ctx: ContainerContext, idOrName: string): Promise<void> {
  const c = ctx.store.get(idOrName);
  await ctx.withLock(c.record.id, () => startLocked(ctx, c, false));
}

/**
 * Starts a created container with a session already connected, so no early output is
 * lost (Docker's attach-then-start, as `docker run` without -d does it).
 */
export async function startAttached(ctx: ContainerContext, idOrName: string): Promise<StdioSession> {
  const c = ctx.store.get(idOrName);
  if (c.state.status === 'running' || c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is already running`);
  const { attach } = await ctx.withLock(c.record.id, () => startLocked(ctx, c, true));
  return attachTo(ctx, c, attach);
}

/** create + start; with `attach` the session is connected before the process execs */
export async function run(ctx: ContainerContext, spec: ContainerCreateSpec, opts: { attach?: boolean } = {}): Promise<{ id: string; session?: StdioSession }> {
  const { id } = await create(ctx, spec);
  const c = ctx.store.get(id);
  let attach: Promise<Socket> | undefined;
  try {
    ({ attach } = await ctx.withLock(id, () => startLocked(ctx, c, !!opts.attach)));
  } catch (e) {
    if (spec.autoRemove)
      await remove(ctx, id, { force: true }).catch(logFailure(log, 'warn', 'removing a --rm container that failed to start', { container: id }));
    throw e;
  }
  if (!opts.attach) return { id };
  return { id, session: await attachTo(ctx, c, attach) };
}
