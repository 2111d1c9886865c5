import { chmodSync, createReadStream, createWriteStream, fchmodSync, fchownSync, futimesSync, openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { StatAt } from '../../native/addon.js';
import {
  AT_EMPTY_PATH,
  AT_SYMLINK_NOFOLLOW,
  fchownat,
  fsetxattr,
  fxattrs,
  linkat,
  mkdirat,
  mknodat,
  readlinkat,
  symlinkat,
  utimensat,
} from '../../native/addon.js';
import {
  assertEntryName,
  closeQuietly,
  fdPath,
  fsDebug,
  fstatFd,
  isDir,
  isFile,
  isSymlink,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  openInRoot,
  S_IFMT,
  withFd,
} from './root-fd.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/**
 * `cp -a src/. dst/` over fds: copies the content of directory `srcFd` into directory `dstFd`
 * (both O_PATH fds) without ever following a symlink on either side: every entry is opened
 * with O_NOFOLLOW relative to its parent's fd, symlinks are copied as links, hard links
 * within the tree stay hard links, devices and fifos are recreated (as Docker's volume
 * copy-up does), sockets are skipped. Owners, modes and times are kept; `dstFd` gets
 * those of `srcFd` too.
 */
export async function copyTreeFds(srcFd: number, dstFd: number): Promise<void> {
  const links = new Map<string, string>();
  await copyDirContent(srcFd, dstFd, dstFd, '', links);
  await withFd(openSync(fdPath(dstFd), O_RDONLY | O_DIRECTORY), (fd) =>
    withFd(openSync(fdPath(srcFd), O_RDONLY | O_DIRECTORY), (from) => setMeta(fd, fstatFd(srcFd), from)),
  );
}

async function copyDirContent(src: number, dst: number, dstRoot: number, rel: string, links: Map<string, string>): Promise<void> {
  for (const name of (await readdir(fdPath(src))).sort()) {
    assertEntryName(name);
    let child: number;
    try {
      child = openInRoot(src, name, O_PATH | O_NOFOLLOW);
    } catch (e) {
      fsDebug('seed: skipping %s/%s: %s', rel, name, (e as Error).message);
      continue;
    }
    await withFd(child, (c) => copyEntry(c, name, dst, dstRoot, rel ? `${rel}/${name}` : name, links));
  }
}

async function copyEntry(src: number, name: string, dst: number, dstRoot: number, rel: string, links: Map<string, string>): Promise<void> {
  const st = fstatFd(src);
  if (isDir(st)) {
    mkdirat(dst, name, 0o700);
    await withFd(openInRoot(dst, name, O_PATH | O_NOFOLLOW | O_DIRECTORY), async (d) => {
      await copyDirContent(src, d, dstRoot, rel, links);
      await withFd(openSync(fdPath(d), O_RDONLY | O_DIRECTORY), (fd) => withFd(openSync(fdPath(src), O_RDONLY | O_DIRECTORY), (from) => setMeta(fd, st, from)));
    });
    return;
  }
  const inode = `${st.dev}:${st.ino}`;
  const first = st.nlink > 1 ? links.get(inode) : undefined;
  if (first !== undefined) {
    await withFd(openInRoot(dstRoot, first, O_PATH | O_NOFOLLOW), (fd) => linkat(fd, '', dst, name, AT_EMPTY_PATH));
    return;
  }
  if (isFile(st)) {
    const from = openSync(fdPath(src), O_RDONLY);
    const to = (() => {
      try {
        return openInRoot(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      } catch (e) {
        closeQuietly(from);
        throw e;
      }
    })();
    try {
      await pipeline(createReadStream('', { fd: from, autoClose: false }), createWriteStream('', { fd: to, autoClose: false }));
      setMeta(to, st, from);
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  } else if (isSymlink(st)) {
    symlinkat(readlinkat(src, ''), dst, name);
    setLinkMeta(dst, name, st);
  } else {
    const type = st.mode & S_IFMT;
    // sockets are not copied; a 0:0 character device is an overlay whiteout, not a file
    if (type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO) return;
    if (type === S_IFCHR && st.rdevMajor === 0 && st.rdevMinor === 0) return;
    mknodat(dst, name, type | (st.mode & 0o7777), st.rdevMajor, st.rdevMinor);
    setLinkMeta(dst, name, st);
    // chmod through the O_PATH fd's /proc link: opening a fifo or device to fchmod it could block
    await withFd(openInRoot(dst, name, O_PATH | O_NOFOLLOW), (fd) => chmodSync(fdPath(fd), st.mode & 0o7777));
  }
  if (st.nlink > 1) links.set(inode, rel);
}

/** overlayfs' bookkeeping and host labels are not content (as in the layer writer) */
const SKIPPED_XATTR = /^(trusted\.overlay\.|user\.overlay\.|security\.selinux$)/;

/** owner, extended attributes, mode and times of `from` onto `fd` (both open, not O_PATH) */
function setMeta(fd: number, st: StatAt, from?: number): void {
  fchownSync(fd, st.uid, st.gid);
  // after the chown, which drops security.capability and set-id bits
  if (from !== undefined) {
    for (const [name, value] of Object.entries(fxattrs(from))) {
      if (SKIPPED_XATTR.test(name)) continue;
      try {
        fsetxattr(fd, name, value);
      } catch (e) {
        fsDebug('seed: xattr %s not copied: %s', name, (e as Error).message);
      }
    }
  }
  fchmodSync(fd, st.mode & 0o7777);
  futimesSync(fd, st.atimeMs / 1000, st.mtimeMs / 1000);
}

/** owner and times of an entry that cannot be opened for writing (symlink, device, fifo) */
function setLinkMeta(dir: number, name: string, st: StatAt): void {
  fchownat(dir, name, st.uid, st.gid, AT_SYMLINK_NOFOLLOW);
  utimensat(dir, name, st.atimeMs, st.mtimeMs, AT_SYMLINK_NOFOLLOW);
}
