import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
// our fork: tar-stream decodes PAX values as UTF-8, which mangles binary xattrs (file capabilities)
import tar from '@skiff/tar-stream';
import { InvalidArgument } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO } from '../native/addon.js';
import { decompressorFor } from './decompress.js';
import { refuseSparseOrUnknown } from './tar-sparse.js';
import { F_CHOWN, F_MTIME, F_TOLERANT, OP, UnpackQueue } from './unpack-queue.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
/**
 * overlayfs interprets these itself (opaque dirs, redirects, metacopy); a layer must express
 * whiteouts with `.wh.` names, never smuggle the xattrs in, or it could redirect lookups.
 */
const RESERVED_XATTR = /^(trusted|user)\.overlay\./;

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

/** what the layer has put at a path so far (the destination starts empty) */
type Kind = 'dir' | 'file' | 'symlink' | 'other';

/**
 * Unpacks one layer tar (gzip, zstd or plain) into the empty directory `dest`, returning
 * its diffID (sha256 of the uncompressed tar). OCI whiteouts become overlayfs whiteouts
 * (0:0 char devices and the opaque xattr). Nothing is ever written through a symlink: a
 * parent that is a symlink in this layer, or a hard link that leaves the layer, fails the
 * whole layer.
 *
 * Since `dest` starts empty, what is on disk below it is exactly what this layer created,
 * so that is kept in memory (`kinds`) and checked there instead of with an lstat per path
 * component; the filesystem work goes to the addon in batches (unpack-queue.ts), which
 * makes a layer of many small files several times faster than one fs call per syscall.
 * Metadata: owner before mode (chown clears set-id bits) and before xattrs (it clears
 * security.capability); directories get their mode and times last, so a read-only
 * directory does not block the entries inside it.
 */
export async function unpackLayer(input: Readable, dest: string, signal?: AbortSignal, opts: UnpackOptions = {}): Promise<{ diffID: string; size: number }> {
  if ((await readdir(dest)).length) throw new Error(`unpackLayer: ${dest} is not empty`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  let size = 0;
  const q = new UnpackQueue();
  const kinds = new Map<string, Kind>();
  const abs = (rel: string) => (rel ? `${dest}/${rel}` : dest);
  // the parent directory the previous entry checked: tars list a directory's files together
  let checkedParent: string | undefined;

  const ensureParents = (rel: string, entryName: string) => {
    const slash = rel.lastIndexOf('/');
    if (slash === -1) return;
    const parentRel = rel.slice(0, slash);
    if (parentRel === checkedParent) return;
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
      const p = rel.slice(0, i);
      const k = kinds.get(p);
      if (k === undefined) {
        q.add(OP.mkdir, abs(p), entryName, { mode: 0o755 });
        kinds.set(p, 'dir');
      } else if (k === 'symlink') throw new InvalidArgument(`layer entry "${entryName}" would be written through the symlink "/${p}" (symlink escape)`);
      else if (k !== 'dir') throw new InvalidArgument(`layer entry "${entryName}": "/${p}" is not a directory`);
    }
    checkedParent = parentRel;
  };

  // Replacing a path drops the deferred metadata of everything below it: a directory that a
  // later entry turned into a symlink must never receive a chmod/utimes through that link.
  let pending: { rel: string; mode: number; mtime?: Date }[] = [];
  const removeExisting = async (rel: string) => {
    if (!kinds.has(rel)) return;
    await q.drain();
    await rm(abs(rel), { recursive: true, force: true });
    const below = `${rel}/`;
    for (const k of kinds.keys()) if (k === rel || k.startsWith(below)) kinds.delete(k);
    pending = pending.filter((d) => d.rel !== rel && !d.rel.startsWith(below));
    checkedParent = undefined;
  };

  /** owner is part of the create op; xattrs follow it */
  const addXattrs = (target: string, header: tar.Header) => {
    if (opts.plain || !header.pax) return;
    const pax = header.pax;
    for (const key of Object.keys(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      // like containerd, an xattr the filesystem or the kernel will not take (no `user.*`
      // support, a `security.*` namespace no LSM owns) is skipped rather than failing the image
      if (!RESERVED_XATTR.test(name)) q.add(OP.xattr, target, header.name, { arg: name, data: xattrBytes(pax[key]!), flags: F_TOLERANT });
    }
  };

  const writeFile = (stream: Readable, target: string, header: tar.Header) =>
    new Promise<void>((resolve, reject) => {
      q.add(OP.open, target, header.name);
      stream.on('data', (chunk: Buffer) => {
        q.write(target, header.name, chunk);
        if (!q.full) return;
        stream.pause();
        q.submit().then(() => stream.resume(), reject);
      });
      stream.once('end', () => resolve());
      stream.once('error', reject);
    });

  const extract = tar.extract();
  // an entry that fails after the pipeline has settled reports into a finished extract;
  // the pipeline already has the first error, a late one must not crash the agent
  extract.on('error', () => {});
  extract.on('entry', (header, stream, next) => {
    // a cut-off layer destroys the entry's stream with the extract's error, possibly before
    // the handler below reads from it; that error is already the pipeline's to report
    stream.on('error', () => {});
    void (async () => {
      refuseSparseOrUnknown(header, opts.plain ? 'archive' : 'layer');
      const rel = confineEntryName(header.name);
      if (!rel) {
        if (header.type === 'directory') pending.push({ rel: '', mode: (header.mode ?? 0o755) & 0o7777, mtime: header.mtime });
        stream.resume();
        return;
      }
      ensureParents(rel, header.name);
      const target = abs(rel);
      const slash = rel.lastIndexOf('/');
      const base = rel.slice(slash + 1);
      const parentRel = slash === -1 ? '' : rel.slice(0, slash);

      if (opts.plain && (header.type === 'character-device' || header.type === 'block-device' || header.type === 'fifo')) {
        stream.resume();
        return;
      }
      if (base === OPAQUE && !opts.plain) {
        q.add(OP.xattr, abs(parentRel), header.name, { arg: 'trusted.overlay.opaque', data: Buffer.from('y') });
        stream.resume();
        return;
      }
      if (base.startsWith(WHITEOUT_PREFIX) && !opts.plain) {
        const name = base.slice(WHITEOUT_PREFIX.length);
        if (!name || name === '.' || name === '..' || name.startsWith(WHITEOUT_PREFIX)) {
          throw new InvalidArgument(`layer entry "${header.name}" is not a valid whiteout`);
        }
        const hidden = parentRel ? `${parentRel}/${name}` : name;
        await removeExisting(hidden);
        q.add(OP.mknod, abs(hidden), header.name, { mode: S_IFCHR | 0o600 });
        kinds.set(hidden, 'other');
        stream.resume();
        return;
      }

      const existing = kinds.get(rel);
      if (existing && !(existing === 'dir' && header.type === 'directory')) await removeExisting(rel);
      const mode = (header.mode ?? 0o644) & 0o7777;
      const meta = { uid: header.uid ?? 0, gid: header.gid ?? 0, mode, mtime: header.mtime };
      switch (header.type) {
        case 'directory':
          if (!kinds.has(rel)) q.add(OP.mkdir, target, header.name, { mode: 0o755 });
          kinds.set(rel, 'dir');
          q.add(OP.chown, target, header.name, meta);
          addXattrs(target, header);
          pending.push({ rel, mode, mtime: header.mtime });
          stream.resume();
          break;
        case 'file':
        case 'contiguous-file':
          kinds.set(rel, 'file');
          // tar-stream's entry is a streamx Readable: the same data/end/error events and pause/resume
          await writeFile(stream as unknown as Readable, target, header);
          // the close op sets owner, mode and times through the file's descriptor
          q.add(OP.close, target, header.name, { ...meta, flags: header.mtime ? F_MTIME : 0 });
          addXattrs(target, header);
          size += header.size ?? 0;
          break;
        case 'symlink':
          // stored verbatim and never followed here; it resolves inside the container at run time
          q.add(OP.symlink, target, header.name, { ...meta, arg: header.linkname ?? '', flags: header.mtime ? F_MTIME : 0 });
          kinds.set(rel, 'symlink');
          addXattrs(target, header);
          stream.resume();
          break;
        case 'link': {
          const linkRel = confineEntryName(header.linkname ?? '');
          if (!linkRel) throw new InvalidArgument(`layer entry "${header.name}" is a hard link to the layer root`);
          ensureParents(linkRel, header.name);
          const k = kinds.get(linkRel);
          if (!k) throw new InvalidArgument(`layer entry "${header.name}" is a hard link to "${header.linkname}", which is not in the layer`);
          if (k === 'dir') throw new InvalidArgument(`layer entry "${header.name}" is a hard link to the directory "${header.linkname}"`);
          // shares the inode (and metadata) of its target
          q.add(OP.link, target, header.name, { arg: abs(linkRel) });
          kinds.set(rel, k);
          stream.resume();
          break;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          const type = header.type === 'fifo' ? S_IFIFO : header.type === 'block-device' ? S_IFBLK : S_IFCHR;
          q.add(OP.mknod, target, header.name, {
            ...meta,
            mode: type | mode,
            major: header.devmajor ?? 0,
            minor: header.devminor ?? 0,
            flags: F_CHOWN | (header.mtime ? F_MTIME : 0),
          });
          kinds.set(rel, 'other');
          addXattrs(target, header);
          stream.resume();
          break;
        }
        default:
          stream.resume();
          return;
      }
      if (q.full) await q.submit();
    })().then(
      () => next(),
      (e) => {
        stream.resume();
        next(e as Error);
      },
    );
  });

  try {
    const decompress = await decompressorFor(input);
    if (decompress) await pipeline(input, decompress, tap, extract, { signal });
    else await pipeline(input, tap, extract, { signal });
    for (const d of pending.reverse()) q.add(OP.dirmeta, abs(d.rel), d.rel || '/', { mode: d.mode, mtime: d.mtime, flags: d.mtime ? F_MTIME : 0 });
    await q.drain();
  } catch (e) {
    // nothing may still be writing into `dest` when the caller removes it
    await q.idle();
    throw e;
  }
  return { diffID: `sha256:${hash.digest('hex')}`, size };
}

/** an xattr's value: the fork hands `SCHILY.xattr.*` records over as their bytes */
function xattrBytes(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
}
