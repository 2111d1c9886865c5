import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgument } from '../../errors.js';
import { closeQuietly, lookupError, O_NOFOLLOW, O_PATH, openInRoot, openRootDir } from './root-fd.js';
import { packEntryFd } from './tar-pack.js';
import { extractIntoRoot } from './tar-unpack.js';

/**
 * `docker cp` both ways, as tar streams, against a container root seen from the host
 * (`/proc/<pid>/root` for a running container, a temporary rootfs mount otherwise). The root
 * is opened once as an fd and every lookup is made from it with openat2(RESOLVE_IN_ROOT), so
 * symlinks the container plants or swaps in can never lead a read or a write to the host.
 */
export async function packFromRoot(root: string, path: string): Promise<Readable> {
  return packFromRootFd(openRootDir(root), path);
}

/** packFromRoot from a root fd, which it closes */
export async function packFromRootFd(rootFd: number, path: string): Promise<Readable> {
  let fd: number;
  try {
    if (!path.startsWith('/')) throw new InvalidArgument(`path must be absolute: "${path}"`);
    fd = openInRoot(rootFd, path, O_PATH | O_NOFOLLOW);
  } catch (e) {
    throw lookupError(e, path);
  } finally {
    closeQuietly(rootFd);
  }
  // a trailing "/." copies the directory's content rather than the directory (Docker's rule);
  // a final symlink is archived as itself unless the path ends in "/" or "/."
  const contentOnly = path.endsWith('/.');
  const base = contentOnly ? '' : posix.basename(path.replace(/\/+$/, '')) || '.';
  return packEntryFd(fd, base === '.' || base === '/' ? '' : base);
}

/** Extracts a tar stream into directory `path` of the container root. */
export async function unpackIntoRoot(root: string, path: string, input: NodeJS.ReadableStream): Promise<void> {
  return unpackIntoRootFd(openRootDir(root), path, input);
}

/** unpackIntoRoot into a root fd, which it closes */
export async function unpackIntoRootFd(rootFd: number, path: string, input: NodeJS.ReadableStream): Promise<void> {
  try {
    if (!path.startsWith('/')) throw new InvalidArgument(`path must be absolute: "${path}"`);
    await extractIntoRoot(rootFd, path, input);
  } finally {
    closeQuietly(rootFd);
  }
}
