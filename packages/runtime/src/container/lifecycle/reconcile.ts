import { type ContainerContext, isUp, nowIso } from '../context.js';
import { reconcileContainers } from './adopt.js';
import { finishExit } from './exit.js';
import { supervise } from './launch.js';
import { removeLocked } from './removal.js';
import { maybeRestart } from './restart.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from './log.js';

/** Agent start: records checked against the shims that run (adopt.ts), then the network. */
export async function adoptAll(ctx: ContainerContext): Promise<void> {
  await reconcileContainers({
    containersDir: ctx.store.dir,
    all: () => ctx.store.all(),
    cgroup: (c) => ctx.cgroup(c),
    setState: (c, patch) => ctx.setState(c, patch),
    watch: (c) => supervise(ctx, c),
    finishExit: (c) => finishExit(ctx, c),
    remove: (c) => removeLocked(ctx, c, !!c.record.spec.autoRemove),
    restartLater: (c) => maybeRestart(ctx, c),
    now: nowIso,
  });
  // a newer release's containers (skipped by the store) keep their network as they keep their shim
  const skipped = ctx.store.skippedIds();
  const running = new Set([
    ...ctx.store
      .all()
      .filter(isUp)
      .map((c) => c.record.id),
    ...skipped,
  ]);
  const known = new Set([...ctx.store.all().map((c) => c.record.id), ...skipped]);
  await ctx.opts.networks.reconcile(running, known).catch(logFailure(log, 'warn', 'reconciling networks with the containers'));
}
