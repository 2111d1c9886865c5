import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgument } from '../errors.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../native/addon.js';
import { AutoDecompress } from './decompress.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** entry name → path relative to the layer root, or an error for anything that escapes */
export function confineEntryName(name: string): string {
  if (name.includes('\0')) throw new InvalidArgument(`invalid layer entry name ${JSON.stringify(name)}`);
  const norm = posix.normalize(name.replace(/^\/+/, '') || '.');
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgument(`layer entry "${name}" points outside the layer (tar-slip)`);
  return norm === '.' || norm === './' ? '' : norm.replace(/\/+$/, '');
}

/**
 * Unpacks one layer tar (gzip, zstd or plain) into `dest`, returning its diffID (sha256 of
 * the uncompressed tar). OCI whiteouts become overlayfs whiteouts (0:0 char devices and
 * the opaque xattr). Nothing is ever written through a symlink: a parent that is a symlink
 * in this layer, or a hard link that leaves the layer, fails the whole layer.
 */
export async function unpackLayer(input: Readable, dest: string, signal?: AbortSignal): Promise<{ diffID: string; size: number }> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const dirs: { path: string; mode: number; mtime?: Date }[] = [];
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

  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    void (async () => {
      const rel = confineEntryName(header.name);
      if (!rel) {
        if (header.type === 'directory') dirs.push({ path: dest, mode: (header.mode ?? 0o755) & 0o7777, mtime: header.mtime });
        stream.resume();
        return;
      }
      await ensureParents(rel, header.name);
      const target = posix.join(dest, rel);
      const base = posix.basename(rel);
      const parent = posix.dirname(target);

      if (base === OPAQUE) {
        lsetxattr(parent, 'trusted.overlay.opaque', Buffer.from('y'));
        stream.resume();
        return;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const hidden = posix.join(parent, base.slice(WHITEOUT_PREFIX.length));
        await rm(hidden, { recursive: true, force: true });
        mknod(hidden, S_IFCHR | 0o600, 0, 0);
        stream.resume();
        return;
      }

      const existing = await lstat(target).catch(() => undefined);
      if (existing && !(existing.isDirectory() && header.type === 'directory')) await rm(target, { recursive: true, force: true });
      const mode = (header.mode ?? 0o644) & 0o7777;
      switch (header.type) {
        case 'directory':
          if (!existing) await mkdir(target, { mode: 0o755 });
          dirs.push({ path: target, mode, mtime: header.mtime });
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
      for (const [key, value] of Object.entries(header.pax ?? {})) {
        if (key.startsWith('SCHILY.xattr.')) lsetxattr(target, key.slice('SCHILY.xattr.'.length), Buffer.from(String(value), 'latin1'));
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

  await pipeline(input, new AutoDecompress(), tap, extract, { signal });
  // directory modes last: a read-only directory must not block the entries inside it
  for (const d of dirs.reverse()) {
    await chmod(d.path, d.mode);
    if (d.mtime) await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  }
  return { diffID: `sha256:${hash.digest('hex')}`, size };
}
