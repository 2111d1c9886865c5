import { closeSync, constants, openSync } from 'node:fs';
import { posix } from 'node:path';
import { debuglog } from 'node:util';
import { InvalidArgument, NotFound } from '../../errors.js';
import { AT_EMPTY_PATH, fstatat, mkdirat, openat2, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, type NativeError, type StatAt } from '../../native/addon.js';

/** debug log of the container filesystem code (NODE_DEBUG=skiff-fs) */
export const fsDebug = debuglog('skiff-fs');

export const O_PATH = 0o10000000;
export const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** lookups relative to a root fd: `/` and `..` stay at it, /proc magic links are refused */
export const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const isDir = (st: StatAt) => (st.mode & S_IFMT) === S_IFDIR;
export const isFile = (st: StatAt) => (st.mode & S_IFMT) === S_IFREG;
export const isSymlink = (st: StatAt) => (st.mode & S_IFMT) === S_IFLNK;

export const errCode = (e: unknown): string | undefined => (e as NativeError | undefined)?.code;

/**
 * Opens a directory the agent itself controls (its own overlay mount, a volume's data dir,
 * or `/proc/<pid>/root`, whose magic link is the root of the container's mount namespace)
 * as the root fd every later lookup is made from.
 */
export function openRootDir(path: string): number {
  return openSync(path, O_PATH | O_DIRECTORY);
}

/** The path under `rootFd` as the container sees it: symlinks and `..` never leave the root. */
export function openInRoot(rootFd: number, path: string, flags: number, mode = 0): number {
  if (path.includes('\0')) throw new InvalidArgument('path contains a NUL byte');
  return openat2(rootFd, path, flags, mode, IN_ROOT);
}

/** fstat of an fd (O_PATH fds too) */
export const fstatFd = (fd: number): StatAt => fstatat(fd, '', AT_EMPTY_PATH);

/** `/proc/self/fd/N`: reopens exactly what the fd pins (readdir, a read-only reopen of an O_PATH fd) */
export const fdPath = (fd: number) => `/proc/self/fd/${fd}`;

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined || fd < 0) return;
  try {
    closeSync(fd);
  } catch (e) {
    fsDebug('close of fd %d failed: %s', fd, (e as Error).message);
  }
}

/** Runs `fn` with an fd that is closed afterwards, whatever happens. */
export async function withFd<T>(fd: number, fn: (fd: number) => T | Promise<T>): Promise<T> {
  try {
    return await fn(fd);
  } finally {
    closeQuietly(fd);
  }
}

/** withFd for synchronous work */
export function withFdSync<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeQuietly(fd);
  }
}

/** A single directory-entry name from an archive or readdir: no separators, not `.`/`..`. */
export function assertEntryName(name: string): void {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new InvalidArgument(`invalid file name: ${JSON.stringify(name)}`);
}

/**
 * The directory `path` under `rootFd` (resolved in the root), created like `mkdir -p` when
 * missing: each missing component is made with mkdirat on its parent's fd.
 */
export function mkdirAllInRoot(rootFd: number, path: string, mode = 0o755): number {
  try {
    return openInRoot(rootFd, path, O_PATH | O_DIRECTORY);
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
  const clean = posix.normalize(`/${path}`);
  if (clean === '/') return openInRoot(rootFd, '/', O_PATH | O_DIRECTORY);
  const parent = mkdirAllInRoot(rootFd, posix.dirname(clean), mode);
  try {
    const name = posix.basename(clean);
    try {
      mkdirat(parent, name, mode);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
    return openInRoot(parent, name, O_PATH | O_DIRECTORY);
  } finally {
    closeQuietly(parent);
  }
}

/** Maps a lookup's errno onto the runtime's typed errors. */
export function lookupError(e: unknown, what: string): Error {
  switch (errCode(e)) {
    case 'ENOENT':
      return new NotFound(`could not find the file ${what} in container`);
    case 'ENOTDIR':
      return new InvalidArgument(`not a directory: ${what}`);
    case 'ELOOP':
      return new InvalidArgument(`too many levels of symbolic links (or a symlink where none may be): ${what}`);
    case 'EXDEV':
      return new InvalidArgument(`path leaves the container root: ${what}`);
    case 'ENAMETOOLONG':
      return new InvalidArgument(`file name too long: ${what}`);
    default:
      return e as Error;
  }
}
