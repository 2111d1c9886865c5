import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../../errors.js';
import { closeQuietly, errCode, fdPath, fsDebug, fstatFd, isFile, O_PATH, openInRoot, openRootDir, withFdSync } from '../fs/root-fd.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

/**
 * Reads a file from the container's view of the root fs (upper dir first, then lower layers
 * top-most first). Looked up inside each layer (RESOLVE_IN_ROOT): an image whose /etc/passwd
 * is a symlink to /etc/shadow must not make the agent read the host's.
 */
async function readFromLayers(dirs: string[], path: string): Promise<string | undefined> {
  for (const d of dirs) {
    let root: number;
    try {
      root = openRootDir(d);
    } catch (e) {
      fsDebug('user lookup: layer %s unreadable: %s', d, (e as Error).message);
      continue;
    }
    try {
      // O_PATH, then a reopen once it is known to be a regular file (a device node is never opened)
      const text = withFdSync(openInRoot(root, path, O_PATH), (p) => (isFile(fstatFd(p)) ? readFileSync(fdPath(p), 'utf8') : undefined));
      if (text !== undefined) return text;
    } catch (e) {
      if (errCode(e) !== 'ENOENT' && errCode(e) !== 'ENOTDIR') fsDebug('user lookup: %s in %s: %s', path, d, (e as Error).message);
    } finally {
      closeQuietly(root);
    }
  }
  return undefined;
}

/** the largest valid uid/gid: (uid_t)-1 means "no change" to the kernel, so 2^32-2 */
export const MAX_ID = 2 ** 32 - 2;

/** A numeric uid/gid, or a clear error: a larger number would wrap in the shim's uint32. */
export function parseId(text: string, what: string): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n > MAX_ID) throw new InvalidArgument(`invalid ${what} "${text}": must be a number from 0 to ${MAX_ID}`);
  return n;
}

/** `-u` checked before any file is read: numeric parts in range, no NUL or line breaks. */
export function validateUserSpec(spec: string): void {
  if (/[\0\n\r]/.test(spec)) throw new InvalidArgument(`invalid user ${JSON.stringify(spec)}: contains a NUL byte or line break`);
  const [userPart = '', groupPart] = spec.split(':', 2);
  if (/^\d+$/.test(userPart)) parseId(userPart, 'uid');
  if (groupPart !== undefined && /^\d+$/.test(groupPart)) parseId(groupPart, 'gid');
}

function parseColonFile(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/**
 * Resolves Docker's `-u user[:group]` (names or numbers) against the image's /etc/passwd
 * and /etc/group, and collects supplementary groups the way Docker does.
 */
export async function resolveUser(spec: string, rootDirs: string[]): Promise<ResolvedUser> {
  validateUserSpec(spec);
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = parseColonFile(await readFromLayers(rootDirs, 'etc/passwd'));
  const groupFile = parseColonFile(await readFromLayers(rootDirs, 'etc/group'));

  let uid = 0,
    gid = 0,
    home = '/',
    userName: string | undefined;
  if (userPart === '' || /^\d+$/.test(userPart)) {
    uid = userPart ? parseId(userPart, 'uid') : 0;
    const entry = passwd.find((p) => Number(p[2]) === uid);
    if (entry) ({ gid, home, userName } = { gid: parseId(entry[3] ?? '', `gid of ${entry[0]} in /etc/passwd`), home: entry[5] || '/', userName: entry[0] });
  } else {
    const entry = passwd.find((p) => p[0] === userPart);
    if (!entry) throw new InvalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = parseId(entry[2] ?? '', `uid of ${userPart} in /etc/passwd`);
    gid = parseId(entry[3] ?? '', `gid of ${userPart} in /etc/passwd`);
    home = entry[5] || '/';
    userName = userPart;
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = parseId(groupPart, 'gid');
    else {
      const g = groupFile.find((e) => e[0] === groupPart);
      if (!g) throw new InvalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = parseId(g[2] ?? '', `gid of group ${groupPart} in /etc/group`);
    }
  }
  const groups = userName
    ? groupFile
        .filter((g) => (g[3] ?? '').split(',').includes(userName!))
        .map((g) => parseId(g[2] ?? '', `gid of group ${g[0]} in /etc/group`))
        .filter((g) => g !== gid)
    : [];
  return { uid, gid, groups, home };
}
