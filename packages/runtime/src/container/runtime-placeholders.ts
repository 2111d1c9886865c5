import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lgetxattr } from '../native/addon.js';

/**
 * Mount points the shim creates in the container's upper dir when the image lacks them
 * (`ensure_target` in native/shim/rootfs.c). Docker keeps these in a separate "-init"
 * layer, so `docker diff` and `docker commit` never see them; here they are left out of
 * both the same way.
 */
export const RUNTIME_MOUNT_POINTS = [
  { path: 'dev', dir: true },
  { path: 'proc', dir: true },
  { path: 'sys', dir: true },
  { path: 'etc/hostname', dir: false },
  { path: 'etc/hosts', dir: false },
  { path: 'etc/resolv.conf', dir: false },
] as const;

const existsBelow = async (lowers: string[], rel: string) => {
  for (const l of lowers) if (await lstat(join(l, rel)).then(() => true, () => false)) return true;
  return false;
};

/**
 * Paths (relative to `upper`) that are only the runtime's own mount points and not changes
 * of the container: a mount point the image does not have that is still empty (a bind
 * mount or tmpfs covered it, so nothing the container wrote lands there), and a parent
 * directory copied up only to hold such mount points (no other entries, not opaque, same
 * mode and owner as below). Everything else in the upper dir is a real change.
 */
export async function runtimePlaceholders(upper: string, lowers: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of RUNTIME_MOUNT_POINTS) {
    const st = await lstat(join(upper, m.path)).catch(() => undefined);
    if (!st || (await existsBelow(lowers, m.path))) continue;
    const empty = m.dir ? st.isDirectory() && (await readdir(join(upper, m.path))).length === 0 : st.isFile() && st.size === 0;
    if (empty) out.add(m.path);
  }
  // parents (just `etc` today), deepest first
  const parents = [...new Set([...out].filter((p) => p.includes('/')).map((p) => p.slice(0, p.lastIndexOf('/'))))].sort().reverse();
  for (const dir of parents) {
    const st = await lstat(join(upper, dir)).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const names = await readdir(join(upper, dir));
    if (!names.every((n) => out.has(`${dir}/${n}`))) continue;
    let opaque: Buffer | null = null;
    try {
      opaque = lgetxattr(join(upper, dir), 'trusted.overlay.opaque');
    } catch {
      /* no xattr support: not opaque */
    }
    if (opaque?.toString() === 'y') continue;
    const below = await Promise.all(lowers.map((l) => lstat(join(l, dir)).catch(() => undefined)));
    const lower = below.find((s) => s !== undefined);
    // not below at all: the shim made it (mkdir -p) for the mount points
    if (lower && (!lower.isDirectory() || (lower.mode & 0o7777) !== (st.mode & 0o7777) || lower.uid !== st.uid || lower.gid !== st.gid)) continue;
    out.add(dir);
  }
  return out;
}
