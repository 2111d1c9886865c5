import { readdir } from 'node:fs/promises';
import { AT_REMOVEDIR, unlinkat } from '../../native/addon.js';
import { assertEntryName, errCode, fdPath, fsDebug, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, openInRoot, withFd } from './root-fd.js';

/**
 * Empties the directory `dirFd` (`rm -rf dir/*`) over fds: each subdirectory is opened with
 * O_NOFOLLOW relative to its parent's fd, so a directory swapped for a symlink while the
 * tree goes is unlinked as that symlink, never followed (path-based `rm -r` on a tree a
 * running container can change could be led to delete host files).
 */
export async function clearTreeFd(dirFd: number): Promise<void> {
  for (const name of await readdir(fdPath(dirFd))) {
    assertEntryName(name);
    await removeEntry(dirFd, name);
  }
}

/** a container swapping an entry back and forth forever must not keep the removal going */
const MAX_RETRIES = 16;

async function removeEntry(parent: number, name: string, retries = MAX_RETRIES): Promise<void> {
  try {
    unlinkat(parent, name, 0);
    return;
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return;
    if (code !== 'EISDIR') throw e;
  }
  let dir: number;
  try {
    dir = openInRoot(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    // replaced by a non-directory since the unlink: unlink that instead
    fsDebug('reopening %s to clear it: %s', name, (e as Error).message);
    if (retries === 0) throw e;
    return removeEntry(parent, name, retries - 1);
  }
  await withFd(dir, clearTreeFd);
  try {
    unlinkat(parent, name, AT_REMOVEDIR);
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
}
