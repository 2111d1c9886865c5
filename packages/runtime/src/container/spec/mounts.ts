import { mkdtemp, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountPoint } from '@skiff/docker-types';
import { InvalidArgument } from '../../errors.js';
import { MNT_DETACH, MS_RDONLY, mount as nativeMount, umount2 } from '../../native/addon.js';
import type { MountRequest } from '../../types.js';
import type { VolumeStore } from '../../volume/volume-store.js';
import { closeQuietly, errCode, O_DIRECTORY, O_PATH, openInRoot, openRootDir, withFd } from '../fs/root-fd.js';
import { copyTreeFds } from '../fs/tree-copy.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'volume' });

/** A mount as the container gets it: everything resolved to host paths. */
export interface ResolvedMount {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string; // host path ('' for tmpfs)
  target: string;
  readOnly: boolean;
  /** volume name */
  name?: string;
  anonymous?: boolean;
  tmpfsSize?: number;
  tmpfsMode?: number;
  tmpfsOptions?: string[];
}

export interface MountContext {
  volumes: VolumeStore;
  /** image lower dirs, top-most first (for copying image content into a fresh volume) */
  lowers: string[];
  imageVolumes: string[];
  volumesFrom: ResolvedMount[];
  tmpDir: string;
}

/**
 * Turns the requested mounts into host paths: bind sources must exist, named volumes are
 * created on first use (seeded with the image's content at the mount point, as Docker
 * does), the image's VOLUME paths get anonymous volumes unless something else is mounted
 * there. On failure every volume created here is removed again.
 */
export async function resolveMounts(requests: MountRequest[], ctx: MountContext): Promise<ResolvedMount[]> {
  const out: ResolvedMount[] = [];
  const created: string[] = [];
  const seen = new Set<string>();
  const add = (m: ResolvedMount) => {
    if (seen.has(m.target)) throw new InvalidArgument(`duplicate mount point: ${m.target}`);
    seen.add(m.target);
    out.push(m);
  };
  try {
    for (const m of ctx.volumesFrom) add(m);
    for (const r of requests) {
      if (r.type === 'tmpfs') {
        add({
          type: 'tmpfs',
          source: '',
          target: r.target,
          readOnly: !!r.readOnly,
          tmpfsSize: r.tmpfsSize,
          tmpfsMode: r.tmpfsMode,
          ...(r.tmpfsOptions?.length ? { tmpfsOptions: r.tmpfsOptions } : {}),
        });
      } else if (r.type === 'bind') {
        const src = r.source ?? '';
        if (!src.startsWith('/')) throw new InvalidArgument(`invalid bind mount source "${src}": it must be an absolute path on the host`);
        if (
          !(await stat(src).then(
            () => true,
            () => false,
          ))
        )
          throw new InvalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
        add({ type: 'bind', source: src, target: r.target, readOnly: !!r.readOnly });
      } else {
        const existed = r.source ? await ctx.volumes.find(r.source) : undefined;
        const v = await ctx.volumes.create(r.source || undefined);
        if (!existed) created.push(v.name);
        if (!r.noCopy) await seedVolume(v.mountpoint, r.target, ctx);
        add({ type: 'volume', source: v.mountpoint, target: r.target, readOnly: !!r.readOnly, name: v.name, anonymous: v.anonymous });
      }
    }
    for (const target of ctx.imageVolumes) {
      const t = target.replace(/\/+$/, '') || '/';
      if (seen.has(t)) continue;
      const v = await ctx.volumes.create();
      created.push(v.name);
      await seedVolume(v.mountpoint, t, ctx);
      add({ type: 'volume', source: v.mountpoint, target: t, readOnly: false, name: v.name, anonymous: true });
    }
    return out;
  } catch (e) {
    for (const name of created)
      await ctx.volumes.remove(name, { force: true }).catch(logFailure(log, 'warn', 'removing an anonymous volume of a failed create', { volume: name }));
    throw e;
  }
}

/**
 * Copies the image's files at `target` into an empty volume (Docker's copy-up on first
 * mount). `target` is resolved inside the image's root (RESOLVE_IN_ROOT: an image symlink
 * such as /hostetc -> /etc names the image's /etc, never the host's) and the tree is copied
 * over fds without following any symlink (copyTreeFds).
 */
async function seedVolume(data: string, target: string, ctx: MountContext): Promise<void> {
  if (!ctx.lowers.length || (await readdir(data)).length) return;
  const copyFrom = async (root: string) => {
    const rootFd = openRootDir(root);
    let src: number;
    try {
      src = openInRoot(rootFd, target, O_PATH | O_DIRECTORY);
    } catch (e) {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return; // nothing to copy up
      throw e;
    } finally {
      closeQuietly(rootFd);
    }
    await withFd(src, (s) => withFd(openRootDir(data), (d) => copyTreeFds(s, d)));
  };
  if (ctx.lowers.length === 1) {
    await copyFrom(ctx.lowers[0]!);
    return;
  }
  // several layers: read the merged view through a read-only overlay (whiteouts honoured)
  const mnt = await mkdtemp(join(ctx.tmpDir, 'seed-'));
  try {
    nativeMount('overlay', mnt, 'overlay', MS_RDONLY, `lowerdir=${ctx.lowers.join(':')}`);
    try {
      await copyFrom(mnt);
    } finally {
      umount2(mnt, MNT_DETACH);
    }
  } finally {
    await rmdir(mnt); // never a recursive rm: the image would be under it if the unmount had failed
  }
}

/** nosuid and nodev unless the options say suid / dev; `uid=` and friends go to tmpfs as they are */
function tmpfsFlags(options: readonly string[]): string[] {
  const flags = new Set(['nosuid', 'nodev']);
  const data: string[] = [];
  for (const o of options) {
    if (o.includes('=')) data.push(o);
    else if (o.startsWith('no')) flags.add(o);
    else flags.delete(`no${o}`);
  }
  return [...flags, ...data];
}

/** The shim's `mount=` lines: `type\tsource\ttarget\toptions` */
export function shimMountLines(mounts: ResolvedMount[]): string[] {
  return mounts.map((m) => {
    if (m.type === 'tmpfs') {
      const opts = [
        ...tmpfsFlags(m.tmpfsOptions ?? []),
        ...(m.readOnly ? ['ro'] : []),
        ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : []),
        `mode=${(m.tmpfsMode ?? 0o1777).toString(8)}`,
      ];
      return ['tmpfs', 'tmpfs', m.target, opts.join(',')].join('\t');
    }
    return ['bind', m.source, m.target, ['rbind', ...(m.readOnly ? ['ro'] : [])].join(',')].join('\t');
  });
}

/** Docker's inspect `Mounts` entries */
export function inspectMounts(mounts: ResolvedMount[]): MountPoint[] {
  return mounts.map((m) => ({
    Type: m.type,
    ...(m.name ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.target,
    Driver: m.type === 'volume' ? 'local' : '',
    Mode: m.readOnly ? 'ro' : '',
    RW: !m.readOnly,
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  }));
}
