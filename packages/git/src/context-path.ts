import { lstat, realpath } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { GitError } from './errors.js';

/**
 * The app's `path` inside a checkout: every component must be a real directory — a
 * symlink is refused even if it points inside, since the checkout is hostile and the
 * build context must be a plain tree under `root`.
 */
export async function resolveContextPath(root: string, path: string | undefined): Promise<string> {
  const raw = (path ?? '').replace(/\\/g, '/');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (raw.length > 1024 || /[\u0000-\u001f]/.test(raw)) throw new GitError('invalid-path', 'invalid app path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new GitError('invalid-path', `the app path must stay inside the repository: ${raw}`);
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    const st = await lstat(cur).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (!st) throw new GitError('invalid-path', `the app path does not exist in the repository: ${posix.join(...parts)}`);
    if (st.isSymbolicLink()) throw new GitError('invalid-path', `the app path goes through a symlink, which is not allowed: ${part}`);
    if (!st.isDirectory()) throw new GitError('invalid-path', `the app path is not a directory: ${posix.join(...parts)}`);
  }
  // the same answer from the kernel, in case a parent of root itself is a link
  const [realRoot, realCur] = await Promise.all([realpath(root), realpath(cur)]);
  if (realCur !== realRoot && !realCur.startsWith(realRoot + sep)) throw new GitError('invalid-path', 'the app path leaves the repository');
  return cur;
}
