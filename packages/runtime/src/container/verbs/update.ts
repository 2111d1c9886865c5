import { cpus } from 'node:os';
import { Conflict } from '../../errors.js';
import { cgroupLimitsOf } from '../cgroup/cgroups.js';
import type { ContainerUpdateSpec } from '../../types.js';
import { type ContainerContext, isUp } from '../context.js';
import { applyUpdate } from '../spec/container-update.js';

/**
 * `docker update`: the new limits and restart policy go into the record, so a restart and
 * a restarted agent keep them; a running (or paused) container's cgroup takes them first,
 * and a refusal there leaves the record as it was.
 */
export async function update(ctx: ContainerContext, idOrName: string, u: ContainerUpdateSpec): Promise<{ warnings: string[] }> {
  const c = ctx.store.get(idOrName);
  await ctx.withLock(c.record.id, async () => {
    if (c.state.status === 'removing' || c.state.status === 'dead') throw new Conflict('container is marked for removal and cannot be "update"');
    const { spec, restartPolicy } = applyUpdate(c.record, u, cpus().length);
    if (isUp(c)) {
      await ctx.cgroup(c).update(cgroupLimitsOf(spec));
    }
    c.record.spec = spec;
    c.record.restartPolicy = restartPolicy;
    await ctx.store.saveRecord(c);
  });
  ctx.emit(c, 'update');
  return { warnings: [] };
}
