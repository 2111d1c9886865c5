import { randomBytes } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MNT_DETACH, MS_RDONLY, mount as nativeMount, umount2 } from '../../native/addon.js';
import type { ContainerContext } from '../context.js';
import { packFromRoot } from '../fs/copy.js';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'export' });

/**
 * `docker export`: the container's filesystem (image layers plus its changes; no volumes,
 * bind mounts or /proc) as a tar stream. It reads a private read-only overlay of the
 * container's upper dir over the image layers (no upper/work dir, so it never clashes with
 * the container's own mount), unmounted once the stream ends.
 */
export async function exportFs(ctx: ContainerContext, idOrName: string): Promise<Readable> {
  const c = ctx.store.get(idOrName);
  const lowers = await ctx.opts.images.layerDirs(c.record.imageId);
  const target = join(c.dir, `export-${randomBytes(4).toString('hex')}`);
  await mkdir(target);
  let mounted = false;
  const release = () => {
    if (mounted) {
      mounted = false;
      try {
        umount2(target, MNT_DETACH);
      } catch (e) {
        // EINVAL: already unmounted
        log.debug('unmounting an export view', { container: c.record.id, path: target, err: e });
      }
    }
    void rmdir(target).catch(cleanupFailed(log, 'removing an export mount point', { container: c.record.id, path: target }));
  };
  try {
    nativeMount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${[join(c.dir, 'upper'), ...lowers].join(':')}`);
    mounted = true;
    const stream = await packFromRoot(target, '/.');
    stream.once('end', release);
    stream.once('close', release);
    stream.once('error', release);
    return stream;
  } catch (e) {
    release();
    throw e;
  }
}
