import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { materialize, parseArchive } from './archive-load.js';
import { stageArchive } from './archive-staging.js';
import type { ImageStoreContext, Registration } from './store-context.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'image' });

/**
 * `docker load`: a docker-archive (Docker 25+ or the older `<id>/layer.tar` layout) or an
 * OCI image layout tar, plain or compressed. Every file is checked against its digest and
 * every layer against its diffID before any image is registered: a malformed, hostile or
 * truncated archive registers nothing and leaves no blob or layer behind.
 */
export async function loadImages(ctx: ImageStoreContext, input: Readable, opts: { signal?: AbortSignal } = {}): Promise<{ loaded: string[] }> {
  const dir = join(ctx.blobs.tmp, `load-${randomBytes(6).toString('hex')}`);
  const pinned = new Set<string>();
  ctx.pins.add(pinned);
  let stored = false;
  try {
    await mkdir(dir, { recursive: true });
    const staged = await stageArchive(input, dir, opts.signal);
    const parsed = await parseArchive(staged);
    stored = true;
    const records: Registration[] = [];
    for (const p of parsed) {
      opts.signal?.throwIfAborted();
      records.push({ record: await materialize({ blobs: ctx.blobs, layers: ctx.layers, pin: (d) => pinned.add(d) }, p), tags: p.tags });
    }
    await ctx.register(records);
    stored = false;
    const loaded: string[] = [];
    for (const { record, tags } of records) {
      loaded.push(...(tags.length ? tags : [record.id]));
      ctx.emit('load', record.id, tags[0] ?? record.id);
    }
    return { loaded };
  } catch (e) {
    if (!stored) throw e;
    // blobs and layers of a load that failed midway are referenced by nothing: drop them
    ctx.pins.delete(pinned);
    await ctx.collectGarbage().catch(logFailure(log, 'warn', 'collecting the garbage of a failed load'));
    throw e;
  } finally {
    ctx.pins.delete(pinned);
    input.resume(); // an unread rest of a refused archive must not stall the sender
    await rm(dir, { recursive: true, force: true });
  }
}
