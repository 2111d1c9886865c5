import { readdir } from 'node:fs/promises';
import { AT_SYMLINK_NOFOLLOW, fstatat, openat2, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, type StatAt } from '../../native/addon.js';
import type { FileChange } from '../../types.js';
import {
  assertEntryName,
  closeQuietly,
  errCode,
  fdPath,
  fsDebug,
  isDir,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  openInRoot,
  openRootDir,
  S_IFMT,
  withFd,
} from './root-fd.js';

const S_IFCHR = 0o020000;

/**
 * `docker diff`: walks the container's overlay upper dir. A 0:0 character device is an
 * overlay whiteout (deleted); an entry that exists in a lower layer is changed; anything
 * else was added. Parents of changes show up as changed, as in Docker. `exclude` (paths
 * relative to the upper dir, see runtime-placeholders.ts) are left out with everything below.
 * The upper dir changes under a running container, so the walk goes over fds (O_NOFOLLOW from
 * each parent's fd) and the lower layers are probed without following any symlink.
 */
export async function containerDiff(upper: string, lowers: string[], exclude: ReadonlySet<string> = new Set()): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  const lowerFds: number[] = [];
  const existsBelow = (rel: string) =>
    lowerFds.some((fd) => {
      try {
        closeQuietly(openat2(fd, rel, O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
        return true;
      } catch {
        return false; // missing, or behind a symlink: not the same path in that layer
      }
    });
  const walk = async (dir: number, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(fdPath(dir));
    } catch (e) {
      fsDebug('diff: cannot read %s: %s', rel || '/', (e as Error).message);
      return;
    }
    for (const name of names.sort()) {
      assertEntryName(name);
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.has(r)) continue;
      let st: StatAt;
      try {
        st = fstatat(dir, name, AT_SYMLINK_NOFOLLOW);
      } catch (e) {
        fsDebug('diff: %s vanished: %s', r, (e as Error).message);
        continue;
      }
      if ((st.mode & S_IFMT) === S_IFCHR && st.rdevMajor === 0 && st.rdevMinor === 0) {
        changes.push({ path: `/${r}`, kind: 2 });
        continue;
      }
      changes.push({ path: `/${r}`, kind: existsBelow(r) ? 0 : 1 });
      if (!isDir(st)) continue;
      let child: number;
      try {
        child = openInRoot(dir, name, O_PATH | O_NOFOLLOW | O_DIRECTORY);
      } catch (e) {
        fsDebug('diff: %s changed under the walk: %s', r, (e as Error).message);
        continue;
      }
      await withFd(child, (fd) => walk(fd, r));
    }
  };
  let upperFd: number;
  try {
    upperFd = openRootDir(upper);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return changes; // never started: nothing changed
    throw e;
  }
  try {
    await withFd(upperFd, (fd) => {
      for (const l of lowers) lowerFds.push(openRootDir(l));
      return walk(fd, '');
    });
  } finally {
    for (const fd of lowerFds) closeQuietly(fd);
  }
  return changes;
}
