import { readdir } from 'node:fs/promises';
import { AT_SYMLINK_NOFOLLOW, fstatat } from '../../native/addon.js';
import { errCode, fdPath, fsDebug, isDir, O_DIRECTORY, O_NOFOLLOW, O_PATH, openInRoot, openRootDir, withFd } from './root-fd.js';

/**
 * Bytes in a tree (a container's upper dir, for `system df`), walked over directory fds
 * opened O_NOFOLLOW from their parent: a directory the container swaps for a symlink is
 * never followed into the host's tree. Entries that vanish mid-walk count as 0.
 */
export async function treeSize(path: string): Promise<number> {
  let root: number;
  try {
    root = openRootDir(path);
  } catch (e) {
    if (errCode(e) !== 'ENOENT') fsDebug('size of %s: %s', path, (e as Error).message);
    return 0;
  }
  return withFd(root, sizeOf);
}

async function sizeOf(dir: number): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await readdir(fdPath(dir));
  } catch (e) {
    fsDebug('size: unreadable directory: %s', (e as Error).message);
    return 0;
  }
  for (const name of names) {
    try {
      const st = fstatat(dir, name, AT_SYMLINK_NOFOLLOW);
      if (!isDir(st)) {
        total += st.size;
        continue;
      }
      const child = openInRoot(dir, name, O_PATH | O_NOFOLLOW | O_DIRECTORY);
      total += await withFd(child, sizeOf);
    } catch (e) {
      fsDebug('size: %s changed during the walk: %s', name, (e as Error).message);
    }
  }
  return total;
}
