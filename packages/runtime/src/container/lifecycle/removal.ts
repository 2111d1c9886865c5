import { Unavailable } from '../../errors.js';
import type { ContainerContext } from '../context.js';
import { stopHealth } from '../health/supervise.js';
import type { StoredContainer } from '../store/container-store.js';
import { removeAnonymousVolumes } from '../store/volume-users.js';
import { killCgroup } from './cgroup-kill.js';
import { lifecycleWarn } from './log.js';
import { waitShimDone } from './shim-process.js';

/**
 * Removes the container; the caller holds its lock. Needs no free disk space: the state
 * write may fail (it is only a crash marker), the directory leaves by a rename. The address
 * and ports go only once no process is left.
 */
export async function removeLocked(ctx: ContainerContext, c: StoredContainer, volumes = false): Promise<void> {
  if (!ctx.store.find(c.record.id)) return;
  await ctx.setState(c, { status: 'removing' });
  ctx.exits.unwatch(c.record.id);
  stopHealth(ctx, c);
  const cg = ctx.cgroup(c);
  if (!(await killCgroup(cg))) throw new Unavailable(`the processes of container ${c.record.name} did not exit after SIGKILL`);
  if (c.state.shimPid && !(await waitShimDone(c.dir, c.state.shimPid, 10_000))) lifecycleWarn('waiting for its shim', c.record.id, 'it did not exit');
  await cg.remove().catch((e) => lifecycleWarn('removing its cgroup', c.record.id, e));
  await ctx.opts.networks.teardown(c.record.id).catch((e) => lifecycleWarn('tearing down its network', c.record.id, e));
  await ctx.store.delete(c);
  // anonymous volumes go with `rm -v` and `--rm`; named volumes always stay
  if (volumes) await removeAnonymousVolumes(ctx, c.record.mounts);
  ctx.emit(c, 'destroy');
  ctx.wake(ctx.removeWaiters, c.record.id);
}
