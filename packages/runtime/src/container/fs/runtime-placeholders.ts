import { openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fxattrs, openat2, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, type StatAt } from '../../native/addon.js';
import {
  closeQuietly,
  errCode,
  fdPath,
  fsDebug,
  fstatFd,
  isDir,
  isFile,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  openRootDir,
  withFd,
  withFdSync,
} from './root-fd.js';

/**
 * Mount points the shim creates in the container's upper dir when the image lacks them
 * (`ensure_target` in native/shim/rootfs.c). Docker keeps these in a separate "-init"
 * layer, so `docker diff` and `docker commit` never see them; here they are left out of
 * both the same way.
 */
export const RUNTIME_MOUNT_POINTS = [
  { path: 'dev', dir: true },
  { path: 'proc', dir: true },
  { path: 'sys', dir: true },
  { path: 'etc/hostname', dir: false },
  { path: 'etc/hosts', dir: false },
  { path: 'etc/resolv.conf', dir: false },
] as const;

/** lstat of `rel` under the directory fd, never through a symlink (undefined when missing or behind one) */
function statBeneath(rootFd: number, rel: string): StatAt | undefined {
  try {
    return withFdSync(openat2(rootFd, rel, O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), fstatFd);
  } catch (e) {
    if (errCode(e) !== 'ENOENT' && errCode(e) !== 'ELOOP' && errCode(e) !== 'ENOTDIR') fsDebug('placeholders: %s: %s', rel, (e as Error).message);
    return undefined;
  }
}

/** the names in directory `rel` under the fd, read through the fd of that very directory */
async function listBeneath(rootFd: number, rel: string): Promise<string[]> {
  return withFd(openat2(rootFd, rel, O_PATH | O_NOFOLLOW | O_DIRECTORY, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), (fd) => readdir(fdPath(fd)));
}

/** trusted.overlay.opaque of directory `rel` under the fd */
function opaqueBeneath(rootFd: number, rel: string): boolean {
  try {
    const dir = withFdSync(openat2(rootFd, rel, O_PATH | O_NOFOLLOW | O_DIRECTORY, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), (fd) =>
      openSync(fdPath(fd), O_RDONLY | O_DIRECTORY),
    );
    return withFdSync(dir, (fd) => fxattrs(fd)['trusted.overlay.opaque']?.toString() === 'y');
  } catch (e) {
    fsDebug('placeholders: opaque of %s: %s', rel, (e as Error).message);
    return false;
  }
}

/**
 * Paths (relative to `upper`) that are only the runtime's own mount points and not changes
 * of the container: a mount point the image does not have that is still empty (a bind
 * mount or tmpfs covered it, so nothing the container wrote lands there), and a parent
 * directory copied up only to hold such mount points (no other entries, not opaque, same
 * mode and owner as below). Everything else in the upper dir is a real change. The upper
 * dir belongs to a possibly running container and the lowers to an image: every lookup is
 * made beneath their fds without following symlinks.
 */
export async function runtimePlaceholders(upper: string, lowers: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  let upperFd: number;
  try {
    upperFd = openRootDir(upper);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return out;
    throw e;
  }
  const lowerFds: number[] = [];
  try {
    for (const l of lowers) lowerFds.push(openRootDir(l));
    const below = (rel: string) => {
      for (const fd of lowerFds) {
        const st = statBeneath(fd, rel);
        if (st) return st;
      }
      return undefined;
    };
    for (const m of RUNTIME_MOUNT_POINTS) {
      const st = statBeneath(upperFd, m.path);
      if (!st || below(m.path)) continue;
      const empty = m.dir ? isDir(st) && (await listBeneath(upperFd, m.path)).length === 0 : isFile(st) && st.size === 0;
      if (empty) out.add(m.path);
    }
    // parents (just `etc` today), deepest first
    const parents = [...new Set([...out].filter((p) => p.includes('/')).map((p) => p.slice(0, p.lastIndexOf('/'))))].sort().reverse();
    for (const dir of parents) {
      const st = statBeneath(upperFd, dir);
      if (!st || !isDir(st)) continue;
      const names = await listBeneath(upperFd, dir);
      if (!names.every((n) => out.has(`${dir}/${n}`))) continue;
      if (opaqueBeneath(upperFd, dir)) continue;
      const lower = below(dir);
      // not below at all: the shim made it (mkdir -p) for the mount points
      if (lower && (!isDir(lower) || (lower.mode & 0o7777) !== (st.mode & 0o7777) || lower.uid !== st.uid || lower.gid !== st.gid)) continue;
      out.add(dir);
    }
    return out;
  } finally {
    closeQuietly(upperFd);
    for (const fd of lowerFds) closeQuietly(fd);
  }
}
