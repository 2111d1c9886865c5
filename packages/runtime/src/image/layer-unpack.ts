import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, realpath, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgument } from '../errors.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../native/addon.js';
import { decompressorFor } from './decompress.js';
import { installRawPaxXattrs, xattrValue } from './tar-pax-raw.js';

installRawPaxXattrs();

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
/**
 * overlayfs interprets these itself (opaque dirs, redirects, metacopy); a layer must express
 * whiteouts with `.wh.` names, never smuggle the xattrs in, or it could redirect lookups.
 */
const RESERVED_XATTR = /^(trusted|user)\.overlay\./;

/**
 * Like containerd, an xattr the filesystem or the kernel will not take (no `user.*` support,
 * a `security.*` namespace no LSM owns) is skipped rather than failing the whole image.
 */
function setEntryXattr(path: string, name: string, value: Buffer, entryName: string): void {
  try {
    lsetxattr(path, name, value);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'EPERM') return;
    throw new InvalidArgument(`layer entry "${entryName}": cannot set xattr ${name}: ${code ?? (e as Error).message}`, { cause: e });
  }
}

/** entry name → path relative to the layer root, or an error for anything that escapes */
export function confineEntryName(name: string): string {
  if (name.includes('\0')) throw new InvalidArgument(`invalid layer entry name ${JSON.stringify(name)}`);
  const norm = posix.normalize(name.replace(/^\/+/, '') || '.');
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgument(`layer entry "${name}" points outside the layer (tar-slip)`);
  return norm === '.' || norm === './' ? '' : norm.replace(/\/+$/, '');
}

export interface UnpackOptions {
  /**
   * A plain archive (a build context), not a layer: `.wh.` names are ordinary files, and
   * device nodes, fifos and xattrs are left out, since nothing in it describes a filesystem.
   */
  plain?: boolean;
}

/**
 * Unpacks one layer tar (gzip, zstd or plain) into `dest`, returning its diffID (sha256 of
 * the uncompressed tar). OCI whiteouts become overlayfs whiteouts (0:0 char devices and
 * the opaque xattr). Nothing is ever written through a symlink: a parent that is a symlink
 * in this layer, or a hard link that leaves the layer, fails the whole layer.
 */
export async function unpackLayer(input: Readable, dest: string, signal?: AbortSignal, opts: UnpackOptions = {}): Promise<{ diffID: string; size: number }> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  let size = 0;

  const ensureParents = async (rel: string, entryName: string) => {
    const parts = rel.split('/').slice(0, -1);
    let cur = dest;
    for (const p of parts) {
      cur = posix.join(cur, p);
      const st = await lstat(cur).catch(() => undefined);
      if (!st) await mkdir(cur, { mode: 0o755 });
      else if (st.isSymbolicLink()) throw new InvalidArgument(`layer entry "${entryName}" would be written through the symlink "/${posix.relative(dest, cur)}" (symlink escape)`);
      else if (!st.isDirectory()) throw new InvalidArgument(`layer entry "${entryName}": "/${posix.relative(dest, cur)}" is not a directory`);
    }
  };

  // Replacing a path drops the deferred metadata of everything below it: a directory that a
  // later entry turned into a symlink must never receive a chmod/utimes through that link.
  let pending: { path: string; mode: number; mtime?: Date }[] = [];
  const removeExisting = async (path: string) => {
    await rm(path, { recursive: true, force: true });
    pending = pending.filter((d) => d.path !== path && !d.path.startsWith(`${path}/`));
  };

  const extract = tar.extract();
  // an entry that fails after the pipeline has settled reports into a finished extract;
  // the pipeline already has the first error, a late one must not crash the agent
  extract.on('error', () => {});
  extract.on('entry', (header, stream, next) => {
    // a cut-off layer destroys the entry's stream with the extract's error, possibly before
    // the handler below reads from it; that error is already the pipeline's to report
    stream.on('error', () => {});
    void (async () => {
      const rel = confineEntryName(header.name);
      if (!rel) {
        if (header.type === 'directory') pending.push({ path: dest, mode: (header.mode ?? 0o755) & 0o7777, mtime: header.mtime });
        stream.resume();
        return;
      }
      await ensureParents(rel, header.name);
      const target = posix.join(dest, rel);
      const base = posix.basename(rel);
      const parent = posix.dirname(target);

      if (opts.plain && ['character-device', 'block-device', 'fifo'].includes(header.type ?? '')) {
        stream.resume();
        return;
      }
      if (base === OPAQUE && !opts.plain) {
        lsetxattr(parent, 'trusted.overlay.opaque', Buffer.from('y'));
        stream.resume();
        return;
      }
      if (base.startsWith(WHITEOUT_PREFIX) && !opts.plain) {
        const name = base.slice(WHITEOUT_PREFIX.length);
        if (!name || name === '.' || name === '..' || name.startsWith(WHITEOUT_PREFIX)) {
          throw new InvalidArgument(`layer entry "${header.name}" is not a valid whiteout`);
        }
        const hidden = posix.join(parent, name);
        await removeExisting(hidden);
        mknod(hidden, S_IFCHR | 0o600, 0, 0);
        stream.resume();
        return;
      }

      const existing = await lstat(target).catch(() => undefined);
      if (existing && !(existing.isDirectory() && header.type === 'directory')) await removeExisting(target);
      const mode = (header.mode ?? 0o644) & 0o7777;
      switch (header.type) {
        case 'directory':
          if (!existing) await mkdir(target, { mode: 0o755 });
          pending.push({ path: target, mode, mtime: header.mtime });
          stream.resume();
          break;
        case 'file':
        case 'contiguous-file':
          // 'wx': O_EXCL never follows a symlink that might have appeared at the target
          await pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
          size += header.size ?? 0;
          break;
        case 'symlink':
          // stored verbatim and never followed here; it resolves inside the container at run time
          await symlink(header.linkname ?? '', target);
          stream.resume();
          break;
        case 'link': {
          const linkRel = confineEntryName(header.linkname ?? '');
          if (!linkRel) throw new InvalidArgument(`layer entry "${header.name}" is a hard link to the layer root`);
          await ensureParents(linkRel, header.name);
          const linkTarget = posix.join(dest, linkRel);
          const st = await lstat(linkTarget).catch(() => undefined);
          if (!st) throw new InvalidArgument(`layer entry "${header.name}" is a hard link to "${header.linkname}", which is not in the layer`);
          if (st.isDirectory()) throw new InvalidArgument(`layer entry "${header.name}" is a hard link to the directory "${header.linkname}"`);
          await link(linkTarget, target);
          stream.resume();
          break;
        }
        case 'character-device':
          mknod(target, S_IFCHR | mode, header.devmajor ?? 0, header.devminor ?? 0);
          stream.resume();
          break;
        case 'block-device':
          mknod(target, S_IFBLK | mode, header.devmajor ?? 0, header.devminor ?? 0);
          stream.resume();
          break;
        case 'fifo':
          mknod(target, S_IFIFO | mode, 0, 0);
          stream.resume();
          break;
        default:
          stream.resume();
          return;
      }
      if (header.type === 'link') return; // shares the inode (and metadata) of its target
      await lchown(target, header.uid ?? 0, header.gid ?? 0);
      const pax = (header.pax ?? {}) as Record<string, unknown>;
      for (const key of Object.keys(pax)) {
        if (opts.plain || !key.startsWith('SCHILY.xattr.')) continue;
        const name = key.slice('SCHILY.xattr.'.length);
        if (!RESERVED_XATTR.test(name)) setEntryXattr(target, name, xattrValue(pax, key), header.name);
      }
      if (header.type !== 'symlink' && header.type !== 'directory') await chmod(target, mode);
      if (header.mtime && header.type !== 'directory') {
        await (header.type === 'symlink' ? lutimes(target, header.mtime, header.mtime) : utimes(target, header.mtime, header.mtime)).catch(() => {});
      }
    })().then(
      () => next(),
      (e) => {
        stream.resume();
        next(e as Error);
      },
    );
  });

  const decompress = await decompressorFor(input);
  if (decompress) await pipeline(input, decompress, tap, extract, { signal });
  else await pipeline(input, tap, extract, { signal });
  // directory modes last: a read-only directory must not block the entries inside it
  const realDest = await realpath(dest);
  for (const d of pending.reverse()) {
    // belt and braces: only a real directory reached without any symlink is touched
    const real = await realpath(d.path).catch(() => undefined);
    if (real !== posix.join(realDest, posix.relative(dest, d.path))) continue;
    await chmod(d.path, d.mode);
    if (d.mtime) await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  }
  return { diffID: `sha256:${hash.digest('hex')}`, size };
}
