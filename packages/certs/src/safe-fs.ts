import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CertError } from './errors.ts';

/** temp files start with this; load() skips and sweeps them (a crash between write and rename) */
export const TEMP_PREFIX = '.tmp-';

/**
 * A directory only root may enter (0700), refusing a symlink planted in its place: keys
 * live below it, and mkdir -p would happily follow a link to anywhere.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new CertError('unsafe-path', `${path} is not a directory (symlink?)`);
  if ((st.mode & 0o077) !== 0) {
    const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await fh.chmod(0o700);
    } finally {
      await fh.close();
    }
  }
}

/**
 * Writes `data` so that readers see either the old file or the whole new one: a fresh
 * temp file (O_EXCL|O_NOFOLLOW, 0600, so a planted link is never followed), fsync, rename
 * over the target (rename replaces a link rather than following it), fsync of the
 * directory. On any failure (ENOSPC) the temp file is removed and the old file stays.
 */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let renamed = false;
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
    await syncDir(dir);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Reads a regular file without following a symlink at its last component and refusing
 * anything larger than `maxBytes`: a file planted in the directory must not make the agent
 * read /dev/zero or serve /etc/shadow as a key.
 */
export async function readFileSafe(path: string, maxBytes: number): Promise<string> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new CertError('unsafe-path', `${path} is a symlink; refusing to follow it`);
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new CertError('unsafe-path', `${path} is not a regular file`);
    if (st.size > maxBytes) throw new CertError('too-large', `${path} is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
