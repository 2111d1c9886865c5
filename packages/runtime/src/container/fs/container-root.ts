import { readFileSync } from 'node:fs';
import { Conflict } from '../../errors.js';
import { closeQuietly, fsDebug, openRootDir } from './root-fd.js';

/**
 * The root of a running container's mount namespace as an fd (`/proc/<pid>/root`, which
 * shows the container's own mounts: volumes, binds, tmpfs). The pid is checked to still be
 * in the container's cgroup after the open: had the container exited and its pid been reused
 * by a host process, the fd would be the host's root.
 */
export function openContainerRoot(pid: number, containerId: string): number {
  const fd = openRootDir(`/proc/${pid}/root`);
  let cgroups = '';
  try {
    cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch (e) {
    fsDebug('pid %d of %s is gone: %s', pid, containerId.slice(0, 12), (e as Error).message);
  }
  if (!cgroups.split('\n').some((l) => l.split('/').includes(containerId))) {
    closeQuietly(fd);
    throw new Conflict(`container ${containerId.slice(0, 12)} is not running`);
  }
  return fd;
}
