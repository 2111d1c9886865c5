import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { InvalidArgument, NotFound } from '../errors.js';
import { resolveInRoot } from './rootfs-path.js';

/**
 * `docker cp` both ways, as tar streams, against a container root seen from the host
 * (`/proc/<pid>/root` for a running container, a temporary rootfs mount otherwise).
 * Every path goes through resolveInRoot so symlinks planted in the container cannot
 * redirect a read or a write to the host.
 */
export async function packFromRoot(root: string, path: string): Promise<Readable> {
  // a trailing "/." copies the directory's content rather than the directory (Docker's rule)
  const contentOnly = path.endsWith('/.');
  const src = await resolveInRoot(root, contentOnly ? path.slice(0, -2) || '/' : path, { followLast: !path.endsWith('/') ? false : true });
  const st = await lstat(src).catch(() => undefined);
  if (!st) throw new NotFound(`could not find the file ${path} in container`);
  const pack = tar.pack();
  const base = contentOnly ? '' : posix.basename(path.replace(/\/+$/, '')) || '.';

  const addEntry = async (hostPath: string, name: string): Promise<void> => {
    const s = await lstat(hostPath);
    const header = { name, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime };
    if (s.isDirectory()) {
      if (name) await entry(pack, { ...header, type: 'directory' });
      for (const child of (await readdir(hostPath)).sort()) await addEntry(posix.join(hostPath, child), name ? `${name}/${child}` : child);
    } else if (s.isSymbolicLink()) {
      await entry(pack, { ...header, type: 'symlink', linkname: await readlink(hostPath) });
    } else if (s.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const w = pack.entry({ ...header, type: 'file', size: s.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(hostPath).on('error', reject).pipe(w);
      });
    }
    // sockets, fifos and devices are skipped, as Docker's archive does for special files in cp
  };
  void (async () => {
    try {
      await addEntry(src, base === '.' ? '' : base);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
  })();
  return pack as unknown as Readable;
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/** Extracts a tar stream into directory `path` of the container root. */
export async function unpackIntoRoot(root: string, path: string, input: NodeJS.ReadableStream): Promise<void> {
  const dest = await resolveInRoot(root, path);
  const st = await lstat(dest);
  if (!st.isDirectory()) throw new InvalidArgument(`extraction point is not a directory: ${path}`);
  const destInContainer = posix.join('/', posix.relative(root, dest));
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    void (async () => {
      const rel = posix.normalize(header.name).replace(/^(\.\/)+/, '').replace(/^\/+/, '');
      if (rel === '.' || rel === '') {
        stream.resume();
        return;
      }
      if (rel === '..' || rel.startsWith('../')) throw new InvalidArgument(`invalid tar entry (outside the destination): ${header.name}`);
      const target = await resolveInRoot(root, posix.join(destInContainer, rel), { followLast: false, mustExist: false });
      await mkdir(posix.dirname(target), { recursive: true });
      const mode = (header.mode ?? 0o644) & 0o7777;
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true });
          await chmod(target, mode);
          stream.resume();
          break;
        case 'symlink':
          await rm(target, { force: true, recursive: false }).catch(() => {});
          await symlink(header.linkname ?? '', target);
          stream.resume();
          break;
        case 'link': {
          const linkTarget = await resolveInRoot(root, posix.join(destInContainer, posix.normalize(header.linkname ?? '').replace(/^\/+/, '')), { followLast: false });
          await rm(target, { force: true }).catch(() => {});
          await link(linkTarget, target);
          stream.resume();
          break;
        }
        case 'file':
        case 'contiguous-file':
          await rm(target, { force: true }).catch(() => {});
          await pipeline(stream, createWriteStream(target, { mode, flags: 'wx' }));
          await chmod(target, mode);
          break;
        default:
          stream.resume();
          return;
      }
      await lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => {});
      if (header.type !== 'symlink' && header.mtime) await utimes(target, header.mtime, header.mtime).catch(() => {});
    })().then(
      () => next(),
      (e) => {
        stream.resume();
        next(e as Error);
      },
    );
  });
  await pipeline(input as Readable, extract);
}
