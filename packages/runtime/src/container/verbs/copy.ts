import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MNT_DETACH, mount as nativeMount, umount2 } from '../../native/addon.js';
import { type ContainerContext, isUp } from '../context.js';
import { openContainerRoot } from '../fs/container-root.js';
import { packFromRoot, packFromRootFd, unpackIntoRoot, unpackIntoRootFd } from '../fs/copy.js';
import { copyError } from '../fs/copy-errors.js';
import type { StoredContainer } from '../store/container-store.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'copy' });

/** tar stream of a path in the container (`docker cp ctr:path -`) */
export async function copyFrom(ctx: ContainerContext, idOrName: string, path: string): Promise<NodeJS.ReadableStream> {
  const c = ctx.store.get(idOrName);
  if (isUp(c)) return packFromRootFd(openContainerRoot(c.state.pid, c.record.id), path);
  // A stopped container's files are read through a temporary overlay mount, released
  // once the tar stream ends.
  const release = await mountRootfs(ctx, c);
  try {
    const stream = await packFromRoot(join(c.dir, 'rootfs'), path);
    let released = false;
    const done = () => {
      if (!released) {
        released = true;
        release();
      }
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    return stream;
  } catch (e) {
    release();
    throw e;
  }
}

/** extracts a tar stream into a directory in the container */
export async function copyTo(ctx: ContainerContext, idOrName: string, path: string, tarStream: NodeJS.ReadableStream): Promise<void> {
  const c = ctx.store.get(idOrName);
  if (isUp(c)) {
    await unpackIntoRootFd(openContainerRoot(c.state.pid, c.record.id), path, tarStream).catch((e: unknown) => Promise.reject(copyError(e)));
    return;
  }
  const release = await mountRootfs(ctx, c);
  try {
    await unpackIntoRoot(join(c.dir, 'rootfs'), path, tarStream).catch((e: unknown) => Promise.reject(copyError(e)));
  } finally {
    release();
  }
}

/** a stopped container's overlay on its rootfs dir; the returned function unmounts it */
async function mountRootfs(ctx: ContainerContext, c: StoredContainer): Promise<() => void> {
  const lowers = await ctx.opts.images.layerDirs(c.record.imageId);
  const target = join(c.dir, 'rootfs');
  await mkdir(target, { recursive: true });
  const data = `lowerdir=${lowers.join(':')},upperdir=${join(c.dir, 'upper')},workdir=${join(c.dir, 'work')}`;
  nativeMount('overlay', target, 'overlay', 0, data);
  return () => {
    try {
      umount2(target, MNT_DETACH);
    } catch (e) {
      // EINVAL: already unmounted (the container's own teardown got there first)
      log.debug('unmounting a copy view', { path: target, err: e });
    }
  };
}
