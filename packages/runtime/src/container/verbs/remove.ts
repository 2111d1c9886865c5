import { Conflict, Unavailable } from '../../errors.js';
import { type ContainerContext, isUp } from '../context.js';
import { killCgroup } from '../lifecycle/cgroup-kill.js';
import { finishExit } from '../lifecycle/exit.js';
import { removeLocked } from '../lifecycle/removal.js';
import { waitShimDone } from '../lifecycle/shim-process.js';
import type { StoredContainer } from '../store/container-store.js';

/**
 * Status check, kill and removal in one hold of the container's lock, so a start queued
 * meanwhile finds the container gone and one that ran before is killed: an `rm -f`
 * racing a `run` never leaves a running container without a record.
 */
export async function remove(ctx: ContainerContext, idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  const c = ctx.store.get(idOrName);
  const timer = ctx.restartTimers.get(c.record.id);
  if (timer) clearTimeout(timer);
  await ctx.withLock(c.record.id, async () => {
    if (!ctx.store.find(c.record.id)) return;
    if (isUp(c)) {
      if (!opts.force) {
        throw new Conflict(`cannot remove container "${c.record.name}": container is ${c.state.status}: stop the container before removing or force remove`);
      }
      await killLocked(ctx, c);
    }
    await removeLocked(ctx, c, !!opts.volumes);
  });
}

/**
 * SIGKILLs the whole container (its cgroup, so a process a dead shim left goes too)
 * and records the exit, all under the container's lock: nothing can start it meanwhile.
 */
async function killLocked(ctx: ContainerContext, c: StoredContainer): Promise<void> {
  await ctx.setState(c, { stoppedByUser: true });
  if (!(await killCgroup(ctx.cgroup(c)))) throw new Unavailable(`the processes of container ${c.record.name} did not exit after SIGKILL`);
  ctx.emit(c, 'kill', { signal: '9' }); // Docker's rm -f: kill, die, destroy
  if (!(await waitShimDone(c.dir, c.state.shimPid, 10_000))) throw new Unavailable(`the shim of container ${c.record.name} did not exit`);
  await finishExit(ctx, c, true);
}
