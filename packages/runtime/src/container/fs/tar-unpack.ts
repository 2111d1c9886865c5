import { createWriteStream, fchmodSync, fchownSync, futimesSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgument, NotFound } from '../../errors.js';
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, fchownat, linkat, mkdirat, symlinkat, unlinkat, utimensat } from '../../native/addon.js';
import {
  closeQuietly,
  errCode,
  fsDebug,
  fstatFd,
  isDir,
  lookupError,
  mkdirAllInRoot,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  openInRoot,
  withFd,
  withFdSync,
} from './root-fd.js';

export interface ExtractOptions {
  /** the archive's `.` entry sets the owner, mode and times of `dest` itself (a volume restore; cp leaves them) */
  rootMeta?: boolean;
}

/**
 * Extracts a tar stream into directory `dest` (a path in the container) of the root `rootFd`.
 * Each entry's parent is looked up in the root (RESOLVE_IN_ROOT, so a symlink planted by the
 * container, or by an earlier entry, resolves inside it) and the entry is made with *at()
 * calls on that parent's fd; files are written through the fd that created them (O_EXCL |
 * O_NOFOLLOW). Nothing is ever done on a path string the container could swap.
 */
export async function extractIntoRoot(rootFd: number, dest: string, input: NodeJS.ReadableStream, opts: ExtractOptions = {}): Promise<void> {
  let destFd: number;
  try {
    destFd = openInRoot(rootFd, dest, O_PATH);
  } catch (e) {
    // the CLI tells "a new name" from a failure by this message (as with dockerd's ENOENT)
    if (errCode(e) === 'ENOENT') throw new NotFound(`no such file or directory: ${dest}`);
    throw lookupError(e, dest);
  }
  try {
    if (!isDir(fstatFd(destFd))) throw new InvalidArgument(`extraction point is not a directory: ${dest}`);
  } finally {
    closeQuietly(destFd);
  }
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    // a failed entry destroys the extract, which destroys this stream with the same error:
    // pipeline reports it, this listener only keeps it from being an uncaught 'error' event
    stream.on('error', (e: Error) => fsDebug('tar entry %s: %s', header.name, e.message));
    void writeEntry(rootFd, dest, header, stream as unknown as Readable, opts).then(
      () => next(),
      (e: Error) => {
        stream.resume();
        next(e);
      },
    );
  });
  await pipeline(input as Readable, extract);
}

async function writeEntry(rootFd: number, dest: string, header: tar.Header, stream: Readable, opts: ExtractOptions): Promise<void> {
  if (header.name.includes('\0')) throw new InvalidArgument(`invalid tar entry name: ${JSON.stringify(header.name)}`);
  const rel = posix
    .normalize(header.name)
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  if (rel === '.' || rel === '') {
    stream.resume();
    if (opts.rootMeta && header.type === 'directory') {
      const mtimeMs = header.mtime ? header.mtime.getTime() : undefined;
      await withFd(openInRoot(rootFd, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), (fd) => setMeta(fd, (header.mode ?? 0o755) & 0o7777, header, mtimeMs));
    }
    return;
  }
  if (rel === '..' || rel.startsWith('../')) throw new InvalidArgument(`invalid tar entry (outside the destination): ${header.name}`);
  const kind = header.type;
  if (kind !== 'directory' && kind !== 'file' && kind !== 'contiguous-file' && kind !== 'symlink' && kind !== 'link') {
    stream.resume(); // devices, fifos and the like are not created by cp
    return;
  }
  const parentFd = mkdirAllInRoot(rootFd, posix.join(dest, posix.dirname(rel)));
  await withFd(parentFd, async (parent) => {
    const name = posix.basename(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtimeMs = header.mtime ? header.mtime.getTime() : undefined;
    if (kind === 'directory') {
      stream.resume();
      makeDirectory(parent, name, mode);
      await withFd(openInRoot(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), (fd) => setMeta(fd, mode, header, mtimeMs));
      return;
    }
    removeNonDirectory(parent, name);
    if (kind === 'symlink') {
      stream.resume();
      symlinkat(header.linkname ?? '', parent, name);
    } else if (kind === 'link') {
      stream.resume();
      const target = posix.join(dest, posix.normalize(`/${header.linkname ?? ''}`));
      let src: number;
      try {
        src = openInRoot(rootFd, target, O_PATH | O_NOFOLLOW);
      } catch (e) {
        throw lookupError(e, target);
      }
      // AT_EMPTY_PATH links the inode the fd pins, which a later swap of the name cannot change;
      // the inode keeps its owner, mode and times (a chown here would also clear set-id bits)
      await withFd(src, (fd) => linkat(fd, '', parent, name, AT_EMPTY_PATH));
      return;
    } else {
      const fd = openInRoot(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      try {
        await pipeline(stream, createWriteStream('', { fd, autoClose: false }));
        setMeta(fd, mode, header, mtimeMs);
      } finally {
        closeQuietly(fd);
      }
      return;
    }
    try {
      fchownat(parent, name, header.uid ?? 0, header.gid ?? 0, AT_SYMLINK_NOFOLLOW);
    } catch (e) {
      fsDebug('chown of %s failed: %s', rel, (e as Error).message);
    }
    if (mtimeMs !== undefined) utimensat(parent, name, mtimeMs, mtimeMs, AT_SYMLINK_NOFOLLOW);
  });
}

function makeDirectory(parent: number, name: string, mode: number): void {
  try {
    mkdirat(parent, name, mode);
    return;
  } catch (e) {
    if (errCode(e) !== 'EEXIST') throw e;
  }
  // an existing directory is kept (its content merges); anything else is replaced
  try {
    withFdSync(openInRoot(parent, name, O_PATH | O_NOFOLLOW), (fd) => {
      if (!isDir(fstatFd(fd))) {
        unlinkat(parent, name, 0);
        mkdirat(parent, name, mode);
      }
    });
  } catch (e) {
    throw new InvalidArgument(`cannot make directory ${name}: ${(e as Error).message}`);
  }
}

/** an entry that a file, symlink or hard link replaces; a directory only if it is empty */
function removeNonDirectory(parent: number, name: string): void {
  try {
    unlinkat(parent, name, 0);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return;
    if (code !== 'EISDIR') throw e;
    try {
      unlinkat(parent, name, AT_REMOVEDIR);
    } catch (e2) {
      throw new InvalidArgument(`cannot overwrite directory ${name} with a non-directory: ${(e2 as Error).message}`);
    }
  }
}

function setMeta(fd: number, mode: number, header: tar.Header, mtimeMs: number | undefined): void {
  try {
    fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
  } catch (e) {
    fsDebug('chown of %s failed: %s', header.name, (e as Error).message);
  }
  fchmodSync(fd, mode); // after the chown, which clears set-id bits
  if (mtimeMs !== undefined) futimesSync(fd, mtimeMs / 1000, mtimeMs / 1000);
}
