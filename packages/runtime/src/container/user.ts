import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

/** Reads a file from the container's view of the root fs (upper dir first, then lower layers top-most first). */
async function readFromLayers(dirs: string[], path: string): Promise<string | undefined> {
  for (const d of dirs) {
    try {
      return readFileSync(join(d, path), 'utf8');
    } catch {
      /* not in this layer */
    }
  }
  return undefined;
}

function parseColonFile(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/**
 * Resolves Docker's `-u user[:group]` (names or numbers) against the image's /etc/passwd
 * and /etc/group, and collects supplementary groups the way Docker does.
 */
export async function resolveUser(spec: string, rootDirs: string[]): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = parseColonFile(await readFromLayers(rootDirs, 'etc/passwd'));
  const groupFile = parseColonFile(await readFromLayers(rootDirs, 'etc/group'));

  let uid = 0, gid = 0, home = '/', userName: string | undefined;
  if (userPart === '' || /^\d+$/.test(userPart)) {
    uid = Number(userPart || 0);
    const entry = passwd.find((p) => Number(p[2]) === uid);
    if (entry) ({ gid, home, userName } = { gid: Number(entry[3]), home: entry[5] || '/', userName: entry[0] });
  } else {
    const entry = passwd.find((p) => p[0] === userPart);
    if (!entry) throw new InvalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    home = entry[5] || '/';
    userName = userPart;
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groupFile.find((e) => e[0] === groupPart);
      if (!g) throw new InvalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  const groups = userName
    ? groupFile.filter((g) => (g[3] ?? '').split(',').includes(userName!)).map((g) => Number(g[2])).filter((g) => g !== gid)
    : [];
  return { uid, gid, groups, home };
}
