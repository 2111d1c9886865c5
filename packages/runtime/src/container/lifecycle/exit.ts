import { type ContainerContext, isUp, nowIso } from '../context.js';
import { stopHealth } from '../health/supervise.js';
import type { ContainerState } from '../store/container-record.js';
import type { StoredContainer } from '../store/container-store.js';
import { killCgroup } from './cgroup-kill.js';
import { readExitRecord } from './exit-record.js';
import { lifecycleWarn } from './log.js';
import { attachedNetworks, networkEvents } from './network-events.js';
import { removeLocked } from './removal.js';
import { maybeRestart } from './restart.js';
import { isShimOf } from './shim-process.js';
import { cleanupFailed } from '@skiff/logger';
import { lifecycleLog as log } from './log.js';

/** The exit watch's check: records the exit once exit.json is there or the shim is gone. */
export async function checkExit(ctx: ContainerContext, c: StoredContainer): Promise<void> {
  if (!isUp(c)) return;
  const exit = await readExitRecord(c.dir);
  if (!exit && isShimOf(c.state.shimPid, c.dir)) return;
  await ctx.withLock(c.record.id, () => finishExit(ctx, c));
}

/**
 * Records the exit (under the container's lock), then --rm or the restart policy.
 * `removing`: the caller removes the container next, so no --rm and no restart policy.
 */
export async function finishExit(ctx: ContainerContext, c: StoredContainer, removing = false): Promise<void> {
  if (!isUp(c)) return;
  let exit = await readExitRecord(c.dir);
  if (!exit) {
    // exit.json is written before the shim exits; give a racing write a moment.
    await new Promise((r) => setTimeout(r, 50));
    exit = await readExitRecord(c.dir);
  }
  if (!exit && isShimOf(c.state.shimPid, c.dir)) return;
  ctx.finishing.add(c.record.id);
  try {
    ctx.exits.unwatch(c.record.id);
    stopHealth(ctx, c);
    // dockerd marks a stopped container's health unhealthy ("for compatibility reasons")
    if (c.state.health) c.state.health.Status = 'unhealthy';
    const patch: Partial<ContainerState> = exit
      ? { exitCode: exit.exitCode, oomKilled: exit.oomKilled, finishedAt: exit.finishedAt }
      : { exitCode: 255, error: 'the container shim exited unexpectedly', finishedAt: nowIso() };
    const cg = ctx.cgroup(c);
    // a shim that died leaves its container running, re-parented to the host's init: it is
    // "exited" once its cgroup is empty, and its address and ports go only after that
    if (!(await killCgroup(cg))) lifecycleWarn('killing the processes its dead shim left', c.record.id, 'still there');
    await ctx.setState(c, { ...patch, status: 'exited', pid: 0, shimPid: 0 });
    const left = attachedNetworks(ctx, c);
    await ctx.opts.networks.teardown(c.record.id).catch((e) => lifecycleWarn('tearing down its network', c.record.id, e));
    networkEvents(ctx, c, 'disconnect', left); // dockerd's cleanup leaves the networks before its die event
    if (c.state.oomKilled) ctx.emit(c, 'oom');
    ctx.emit(c, 'die', { exitCode: String(c.state.exitCode) });
    await cg.remove().catch(cleanupFailed(log, 'removing the cgroup of an exited container', { container: c.record.id }));
    // `run --rm` ends once the container is gone, as docker's does (it waits for "removed")
    if (c.record.spec.autoRemove && !ctx.closed && !removing)
      await removeLocked(ctx, c, true).catch((e) => lifecycleWarn('removing it (--rm)', c.record.id, e));
  } finally {
    ctx.finishing.delete(c.record.id);
    ctx.wake(ctx.exitWaiters, c.record.id);
  }
  if (ctx.closed || c.record.spec.autoRemove || removing) return;
  maybeRestart(ctx, c);
}

/** resolves true once the container's exit is recorded, false after `timeoutMs` */
export function waitExitEvent(ctx: ContainerContext, c: StoredContainer, timeoutMs: number): Promise<boolean> {
  if (!isUp(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const list = ctx.exitWaiters.get(c.record.id) ?? [];
    const t = setTimeout(() => resolve(false), timeoutMs);
    list.push(() => {
      clearTimeout(t);
      resolve(true);
    });
    ctx.exitWaiters.set(c.record.id, list);
    void checkExit(ctx, c);
  });
}
