import { readlink, realpath } from 'node:fs/promises';
import { SHIM_PATH } from '../../native/paths.js';
import type { ProcessList } from '../../types.js';
import type { ContainerContext } from '../context.js';
import { containerTop } from '../stats/top.js';

export async function top(ctx: ContainerContext, idOrName: string, psArgs?: string): Promise<ProcessList> {
  const c = ctx.store.get(idOrName);
  ctx.requireRunning(c);
  return containerTop(await containerPids(await ctx.cgroup(c).pids(), c.state.pid), psArgs);
}

/**
 * The cgroup's processes that are the container's own: an exec's shim sits in the cgroup
 * (its limits apply) but runs on the host, and `docker top` must not show it or its host
 * path. A process is the container's when it is in the init's pid namespace and is not the
 * shim binary (the latter also for a container sharing the host's pid namespace).
 */
async function containerPids(pids: number[], init: number | undefined): Promise<number[]> {
  const link = (pid: number, what: string) => readlink(`/proc/${pid}/${what}`).catch(() => undefined);
  const ns = init ? await link(init, 'ns/pid') : undefined;
  const shim = await realpath(SHIM_PATH).catch(() => SHIM_PATH);
  const own = await Promise.all(
    pids.map(async (pid) => {
      if (ns !== undefined && (await link(pid, 'ns/pid')) !== ns) return false;
      return (await link(pid, 'exe')) !== shim;
    }),
  );
  return pids.filter((_, i) => own[i]);
}
