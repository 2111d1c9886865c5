import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { Conflict } from './errors.js';
import { removeCgroupParent, unknownCgroups } from './host-cgroups.js';
import { netnsDelete } from './native/addon.js';
import type { Runtime } from './runtime.js';

export interface HostCleanupOptions {
  root: string;
  cgroupParent: string;
  /** stop running containers instead of refusing */
  force?: boolean;
  /** remove the root (images, volumes, containers, database) as well */
  purge?: boolean;
}

/**
 * `skiff daemon --cleanup` / `--purge`: takes everything the agent put on the host away —
 * bridges, the nft table, network namespaces, the cgroup parent, mounts under the root —
 * and with `purge` the root too. Refuses while containers run unless `force` (they are
 * then killed). The agent must not be running; `rt` is a runtime opened on its root just
 * for this. Returns one line per thing removed.
 */
export async function cleanupHost(rt: Runtime, opts: HostCleanupOptions): Promise<string[]> {
  const all = await rt.containers.list({ all: true });
  const running = all.filter((c) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting');
  if (running.length && !opts.force) {
    throw new Conflict(
      `${running.length} container(s) are running (${running.map((c) => c.names[0] ?? c.id.slice(0, 12)).join(', ')}): stop them first or pass --force`,
    );
  }
  // containers of a wiped root: their processes sit in this agent's cgroup parent, their namespaces under their ids
  const orphans = unknownCgroups(opts.cgroupParent, new Set(all.map((c) => c.id)));
  if (orphans.length && !opts.force)
    throw new Conflict(`${orphans.length} cgroup(s) of containers this root does not know exist (${orphans[0]}): pass --force to kill what runs in them`);
  const done: string[] = [];
  for (const c of running) {
    await rt.containers.stop(c.id, { timeout: 0 });
    done.push(`stopped container ${c.id.slice(0, 12)}`);
  }
  done.push(...(await rt.networks.removeHostObjects()));
  await rt.close();
  if (await removeCgroupParent(opts.cgroupParent, { kill: opts.force }))
    done.push(`removed cgroup parent ${opts.cgroupParent}${orphans.length ? ` (with ${orphans.length} unknown container cgroup(s))` : ''}`);
  for (const id of new Set(orphans.map((d) => basename(d)))) {
    const netns = `/run/netns/skiff-${id.slice(0, 12)}`;
    if (!existsSync(netns)) continue;
    await netnsDelete(netns);
    done.push(`removed network namespace ${netns}`);
  }
  for (const target of mountsUnder(opts.root).sort((a, b) => b.length - a.length)) {
    const r = spawnSync('umount', ['-l', target], { encoding: 'utf8' });
    done.push(r.status === 0 ? `unmounted ${target}` : `could not unmount ${target}: ${r.stderr.trim()}`);
  }
  if (opts.purge) {
    rmSync(opts.root, { recursive: true, force: true });
    done.push(`removed ${opts.root}`);
  }
  return done;
}

/** mount points at or under `dir`, from /proc/self/mountinfo (field 5, octal-escaped) */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((target) => target === dir || target.startsWith(`${dir}/`));
}
