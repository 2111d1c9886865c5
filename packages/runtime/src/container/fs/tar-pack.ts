import { read, openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { readlinkat } from '../../native/addon.js';
import {
  assertEntryName,
  closeQuietly,
  fdPath,
  fsDebug,
  fstatFd,
  isDir,
  isFile,
  isSymlink,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  openInRoot,
  withFd,
} from './root-fd.js';

const readAsync = promisify(read);
const CHUNK = 64 * 1024;

/**
 * A tar stream of the entry `fd` (an O_PATH fd, from a lookup in a container root) named
 * `name` ('' for the entry's content only). Everything below is opened relative to its
 * parent's fd with O_NOFOLLOW, so a directory swapped for a symlink mid-walk is archived as
 * that symlink, never followed. Files are read from fds for exactly the size stat'ed first
 * (zero-padded if the file shrank, cut if it grew), so a changing file cannot break the tar.
 * The stream owns `fd` and closes it; an error ends the stream with that error, and is
 * logged if nobody listens.
 */
export function packEntryFd(fd: number, name: string): Readable {
  const pack = tar.pack();
  pack.on('error', (e: Error) => fsDebug('pack of %s failed: %s', name || '.', e.message));
  void (async () => {
    try {
      await addEntry(pack, fd, name);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    } finally {
      closeQuietly(fd);
    }
  })();
  return pack as unknown as Readable;
}

/** one entry, `self` an O_PATH fd of it (of the entry itself, never of what a symlink points at) */
async function addEntry(pack: tar.Pack, self: number, name: string): Promise<void> {
  const st = fstatFd(self);
  const header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: new Date(st.mtimeMs) };
  if (isDir(st)) {
    if (name) await entry(pack, { ...header, type: 'directory' });
    for (const c of (await readdir(fdPath(self))).sort()) {
      assertEntryName(c);
      let child: number;
      try {
        child = openInRoot(self, c, O_PATH | O_NOFOLLOW);
      } catch (e) {
        fsDebug('skipping %s/%s: %s', name, c, (e as Error).message);
        continue; // removed while we walked
      }
      await withFd(child, (fd) => addEntry(pack, fd, name ? `${name}/${c}` : c));
    }
  } else if (isSymlink(st)) {
    await entry(pack, { ...header, type: 'symlink', linkname: readlinkat(self, '') });
  } else if (isFile(st)) {
    // a read-only reopen of the inode the O_PATH fd pins, known to be a regular file (opening
    // a fifo or device by name could block or have side effects)
    await withFd(openSync(fdPath(self), O_RDONLY), (f) => fileEntry(pack, f, { ...header, type: 'file', size: st.size }));
  }
  // sockets, fifos and devices are skipped, as Docker's archive does for special files in cp
}

/** writes exactly header.size bytes from `fd` into a file entry */
async function fileEntry(pack: tar.Pack, fd: number, header: Partial<tar.Header> & { name: string; size: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    sink.on('error', reject);
    void (async () => {
      const buf = Buffer.allocUnsafe(CHUNK);
      let left = header.size;
      let position = 0;
      while (left > 0) {
        const want = Math.min(left, CHUNK);
        const { bytesRead } = await readAsync(fd, buf, 0, want, position);
        // a file that shrank under us is padded with zeros up to the size in the header
        const chunk = bytesRead > 0 ? Buffer.from(buf.subarray(0, bytesRead)) : Buffer.alloc(want);
        left -= chunk.length;
        position += chunk.length;
        if (!sink.write(chunk)) await writable(sink);
      }
      sink.end(undefined);
    })().catch((e: Error) => {
      sink.destroy(e);
      reject(e);
    });
  });
}

/** resolves on 'drain'; rejects when the entry fails or is closed first (the reader went away) */
function writable(sink: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (e?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(new Error('tar entry closed'));
    sink.once('drain', onDrain);
    sink.once('error', onError);
    sink.once('close', onClose);
  });
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}
