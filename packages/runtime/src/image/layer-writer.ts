import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, fstatSync, openSync, type Stats } from 'node:fs';
import { lstat, readdir, readlink, rename, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
// our fork: tar-stream writes PAX values as UTF-8 text, which mangles binary xattrs (file capabilities)
import tar from '@skiff/tar-stream';
import { InvalidArgument } from '../errors.js';
import { lgetxattr, llistxattr } from '../native/addon.js';
import type { BlobStore } from '../store/blob-store.js';
import { fdPath, fsDebug, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, openInRoot, openRootDir, withFd } from '../container/fs/root-fd.js';
import { MEDIA } from './registry-client.js';
import { cleanupFailed, logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'image' });

/**
 * What a layer is made from.
 *  - `overlay-upper`: a container's (or build step's) overlayfs upper dir. overlayfs
 *    whiteouts become OCI whiteouts: a 0:0 character device `x` → an empty regular file
 *    `.wh.x`; a directory with `trusted.overlay.opaque=y` → the directory followed by an
 *    empty `.wh..wh..opq` inside it.
 *  - `directory`: a plain tree, taken as it is (no whiteout conversion). With `prefix` the
 *    entries are named `<prefix>/<path>` and the tree's root itself is written as
 *    `<prefix>/` (e.g. `COPY dir /app`); without one the root is not written.
 * The root of the tree is never an entry of its own (except as `<prefix>/`), as in Docker.
 */
export type LayerSource =
  | {
      kind: 'overlay-upper';
      dir: string;
      /** paths relative to `dir` left out with everything below them (the runtime's own mount points) */
      exclude?: ReadonlySet<string>;
    }
  | { kind: 'directory'; dir: string; prefix?: string };

export interface WriteLayerOptions {
  /**
   * Clamp every mtime to at most this time (like BuildKit's SOURCE_DATE_EPOCH rewrite).
   * Without it mtimes are kept, truncated to whole seconds (what Docker does).
   */
  mtimeClamp?: Date;
  /** gzip level (default 6, zlib's and Go's default); part of what makes the digest reproducible */
  gzipLevel?: number;
  signal?: AbortSignal;
}

/** A layer blob now in the blob store. */
export interface WrittenLayer {
  /** sha256 of the uncompressed tar (what the image config's rootfs.diff_ids lists) */
  diffID: string;
  /** sha256 of the gzip blob (the manifest's layer digest; the blob store's key) */
  digest: string;
  /** bytes of the gzip blob */
  size: number;
  mediaType: string;
  /** true when the tar has no entries (Docker records such a step as an empty_layer) */
  empty: boolean;
}

const S_IFREG = 0o100000;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** sha256 of a tar with no entries (two 512-byte zero blocks) */
export const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
/** overlayfs' own bookkeeping; never part of a layer (the unpacker refuses them too) */
const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;
/** host-specific labels Docker does not carry into images either */
const SKIPPED_XATTR = /^security\.selinux$/;

/**
 * Writes `source` as a gzip-compressed POSIX (ustar + PAX) layer tar into `blobs`, hashing
 * the uncompressed tar (diffID) and the compressed blob (digest) in the same streaming pass.
 *
 * Reproducibility (the same content gives the same diffID and digest):
 *  - entries in a fixed order: depth first, each directory's names sorted, a directory
 *    before its contents (and an opaque marker right after its directory);
 *  - header fields: name (directories with a trailing `/`), mode (permission + suid/sgid/
 *    sticky bits), uid, gid, size, mtime in whole seconds (optionally clamped), type,
 *    link name, device numbers. uname/gname are left empty and atime/ctime are never
 *    written, so the host's user database and file access do not leak into the digest;
 *  - xattrs as `SCHILY.xattr.*` PAX records in sorted order, byte-exact; overlayfs'
 *    `trusted.overlay.*` and `security.selinux` are dropped;
 *  - hard links: the first name (in the walk order) of an inode with several links is
 *    written as the file, every later one as a link entry to it;
 *  - gzip: fixed level, no file name, mtime 0 (Node's zlib never writes either).
 * The output is read back by `unpackLayer` (layer-unpack.ts) unchanged.
 */
export async function writeLayer(source: LayerSource, blobs: BlobStore, opts: WriteLayerOptions = {}): Promise<WrittenLayer> {
  const pack = tar.pack();
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let tarBytes = 0;
  let size = 0;
  const tapTar = new Transform({
    transform(chunk: Buffer, _e, cb) {
      diffHash.update(chunk);
      tarBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const tapBlob = new Transform({
    transform(chunk: Buffer, _e, cb) {
      blobHash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const tmpPath = join(blobs.tmp, `layer-write-${randomBytes(6).toString('hex')}`);
  const gzip = createGzip({ level: opts.gzipLevel ?? 6, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  const sink = pipeline(pack, tapTar, gzip, tapBlob, createWriteStream(tmpPath, { mode: 0o644 }), { signal: opts.signal });
  // if the sink fails, the walk must stop rather than wait on a pack nobody reads
  let sinkError: unknown;
  sink.catch((e: unknown) => {
    sinkError = e;
  });

  try {
    await walkInto(pack, source, opts, () => sinkError);
    pack.finalize();
    await sink;
  } catch (e) {
    pack.destroy(e as Error);
    // debug: the sink fails with the error thrown below (or the destroy); that one is reported
    await sink.catch(logFailure(log, 'debug', 'writing a layer blob', { file: tmpPath }));
    await unlink(tmpPath).catch(cleanupFailed(log, 'removing a layer temp file', { file: tmpPath }));
    throw e;
  }

  const diffID = `sha256:${diffHash.digest('hex')}`;
  const digest = `sha256:${blobHash.digest('hex')}`;
  if (await blobs.has(digest)) await unlink(tmpPath).catch(cleanupFailed(log, 'removing a duplicate layer temp file', { file: tmpPath, digest }));
  else {
    await rename(tmpPath, blobs.path(digest)).catch(async (e) => {
      await unlink(tmpPath).catch(cleanupFailed(log, 'removing a layer temp file', { file: tmpPath, digest }));
      throw e;
    });
  }
  return { diffID, digest, size, mediaType: MEDIA.ociLayerGzip, empty: tarBytes <= 1024 && diffID === EMPTY_TAR_DIFF_ID };
}

type Header = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string | Buffer> };

/** errno codes of an entry that vanished or changed kind between the readdir and its read */
const CHANGED_WHILE_READ = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EINVAL', 'ENXIO']);

function addEntry(pack: tar.Pack, header: Header, content?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (content === undefined) {
      // a regular file needs its (empty) body written, or tar-stream waits for it forever
      const body = header.type === 'file' ? Buffer.alloc(0) : null;
      pack.entry(header as unknown as tar.Header, body as Buffer, (err) => (err ? reject(err) : resolve()));
      return;
    }
    // O_NOFOLLOW|O_NONBLOCK: a symlink or fifo swapped in since the lstat is neither followed
    // nor waited on; opened before the header, so a failed open leaves no half entry behind
    let fd: number;
    try {
      fd = openSync(content, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (e) {
      reject(e as Error);
      return;
    }
    // the size is the opened file's; one that changes while it is read fails the entry (and the layer)
    const entry = pack.entry({ ...header, size: fstatSync(fd).size } as unknown as tar.Header, (err) => (err ? reject(err) : resolve()));
    pipeline(createReadStream('', { fd }), entry).catch(reject);
  });
}

function xattrRecords(path: string): Record<string, Buffer> | undefined {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EOPNOTSUPP' || code === 'ENOTSUP') return undefined;
    throw e;
  }
  const out: Record<string, Buffer> = {};
  let any = false;
  for (const name of names.sort()) {
    if (OVERLAY_XATTR.test(name) || SKIPPED_XATTR.test(name)) continue;
    const value = lgetxattr(path, name);
    if (value === null) continue;
    out[`SCHILY.xattr.${name}`] = value;
    any = true;
  }
  return any ? out : undefined;
}

function overlayXattr(path: string, name: string): string | undefined {
  try {
    return lgetxattr(path, name)?.toString('latin1');
  } catch {
    return undefined;
  }
}

async function walkInto(pack: tar.Pack, source: LayerSource, opts: WriteLayerOptions, failed: () => unknown): Promise<void> {
  const overlay = source.kind === 'overlay-upper';
  const exclude = source.kind === 'overlay-upper' ? source.exclude : undefined;
  const prefix = source.kind === 'directory' && source.prefix ? source.prefix.replace(/^\/+|\/+$/g, '') : '';
  const links = new Map<string, string>(); // dev:ino → first entry name
  const clamp = opts.mtimeClamp ? Math.floor(opts.mtimeClamp.getTime() / 1000) : undefined;
  const mtimeOf = (st: Stats) => {
    let s = Math.floor(st.mtimeMs / 1000);
    if (clamp !== undefined && s > clamp) s = clamp;
    return new Date(s * 1000);
  };

  const check = () => {
    opts.signal?.throwIfAborted();
    const e = failed();
    if (e) throw e;
  };

  const emit = async (hostPath: string, name: string, st: Stats): Promise<void> => {
    check();
    // the file type bits ride along so a 000 mode stays 000: tar-stream replaces a falsy
    // mode with its default, and writes only `mode & 0o7777` into the header
    const base: Header = { name, mode: st.mode, uid: st.uid, gid: st.gid, mtime: mtimeOf(st), uname: '', gname: '' };
    if (overlay && st.isCharacterDevice() && st.rdev === 0) {
      // overlayfs whiteout (often a hard link to the shared whiteout inode: no link logic here)
      await addEntry(pack, {
        ...base,
        name: posix.join(posix.dirname(name), WHITEOUT_PREFIX + posix.basename(name)),
        mode: S_IFREG | 0o600,
        type: 'file',
        size: 0,
      });
      return;
    }
    if (overlay && !st.isDirectory()) {
      if (overlayXattr(hostPath, 'trusted.overlay.metacopy') !== undefined) {
        throw new InvalidArgument(`cannot write a layer from ${source.dir}: "${name}" is an overlayfs metacopy file (mount without metacopy=on)`);
      }
    }
    const pax = xattrRecords(hostPath);
    if (pax) base.pax = pax;
    if (st.isDirectory()) {
      if (overlay && overlayXattr(hostPath, 'trusted.overlay.redirect') !== undefined) {
        throw new InvalidArgument(`cannot write a layer from ${source.dir}: "${name}" is an overlayfs redirect (mount with redirect_dir=off)`);
      }
      await addEntry(pack, { ...base, name: `${name}/`, type: 'directory', size: 0 });
      if (overlay && overlayXattr(hostPath, 'trusted.overlay.opaque') === 'y') {
        await addEntry(pack, {
          name: `${name}/${OPAQUE}`,
          mode: S_IFREG | (st.mode & 0o777),
          uid: st.uid,
          gid: st.gid,
          mtime: mtimeOf(st),
          uname: '',
          gname: '',
          type: 'file',
          size: 0,
        });
      }
      return;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        await addEntry(pack, { ...base, pax: undefined, type: 'link', linkname: first, size: 0 });
        return;
      }
      links.set(key, name);
    }
    if (st.isFile()) await addEntry(pack, { ...base, type: 'file', size: st.size }, hostPath);
    else if (st.isSymbolicLink()) await addEntry(pack, { ...base, type: 'symlink', linkname: await readlink(hostPath), size: 0 });
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
      const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
      await addEntry(pack, { ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor, size: 0 });
    } else if (st.isFIFO()) await addEntry(pack, { ...base, type: 'fifo', size: 0 });
    // sockets are not archivable (Docker skips them too)
  };

  // The tree may be a running container's upper dir, changing under the walk: each directory
  // is held as an fd and its entries are reached as /proc/self/fd/<dir>/<name>, which the
  // l*() calls and O_NOFOLLOW opens never follow out of that directory.
  const walk = async (dirFd: number, rel: string): Promise<void> => {
    const names = (await readdir(fdPath(dirFd))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (exclude?.has(r)) continue;
      const hostPath = `${fdPath(dirFd)}/${n}`;
      let st: Stats;
      try {
        st = await lstat(hostPath);
        await emit(hostPath, prefix ? `${prefix}/${r}` : r, st);
      } catch (e) {
        // removed or swapped for another kind of entry since the readdir (a running container
        // churning its files): left out, as it no longer is what was listed
        if (!CHANGED_WHILE_READ.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        fsDebug('layer from %s: %s changed while it was read: %s', source.dir, r, (e as Error).message);
        continue;
      }
      if (!st.isDirectory()) continue;
      let child: number;
      try {
        child = openInRoot(dirFd, n, O_PATH | O_NOFOLLOW | O_DIRECTORY);
      } catch (e) {
        // no longer a directory (a running container swapped it): written as the empty directory it was
        fsDebug('layer from %s: %s changed while it was read: %s', source.dir, r, (e as Error).message);
        continue;
      }
      await withFd(child, (fd) => walk(fd, r));
    }
  };

  const rootStat = await lstat(source.dir);
  if (!rootStat.isDirectory()) throw new InvalidArgument(`cannot write a layer from ${source.dir}: not a directory`);
  if (prefix) await emit(source.dir, prefix, rootStat);
  await withFd(openRootDir(source.dir), (fd) => walk(fd, ''));
}
