import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidArgument, NotFound } from '../../errors.js';

const MAX_LINKS = 40;

/**
 * Resolves `path` inside `root`, following symlinks by hand so an absolute or `..` link can
 * never lead outside `root`. Returns a host path string, so it is only for trees nobody
 * else writes while the agent works (a build context the agent unpacked): a container
 * could swap a component between this check and the use. Container roots and image layers
 * go through fs/root-fd.ts (openat2 RESOLVE_IN_ROOT, fds all the way).
 * With `followLast: false` the final component is not dereferenced.
 */
export async function resolveInRoot(root: string, path: string, opts: { followLast?: boolean; mustExist?: boolean } = {}): Promise<string> {
  const followLast = opts.followLast ?? true;
  if (!path.startsWith('/')) throw new InvalidArgument(`path must be absolute: "${path}"`);
  let pending = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop(); // `..` at the container root stays at the root, as in the kernel
      continue;
    }
    const candidate = [...resolved, part];
    const hostPath = posix.join(root, ...candidate);
    const isLast = pending.length === 0;
    let st: Stats;
    try {
      st = await lstat(hostPath);
    } catch {
      if (!isLast || opts.mustExist !== false) throw new NotFound(`no such file or directory: ${path}`);
      resolved.push(part);
      continue;
    }
    if (st.isSymbolicLink() && (!isLast || followLast)) {
      if (++links > MAX_LINKS) throw new InvalidArgument(`too many levels of symbolic links: ${path}`);
      const target = await readlink(hostPath);
      const targetParts = target.split('/').filter(Boolean);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...targetParts, ...pending];
      continue;
    }
    resolved.push(part);
  }
  return posix.join(root, ...resolved);
}
