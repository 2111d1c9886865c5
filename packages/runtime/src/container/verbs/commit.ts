import { join } from 'node:path';
import type { CommitOptions, ImageInspect } from '../../types.js';
import { applyChanges } from '../../image/config-changes.js';
import type { NewImageSpec } from '../../image/image-create.js';
import type { ContainerContext } from '../context.js';
import { runtimePlaceholders } from '../fs/runtime-placeholders.js';
import type { StoredContainer } from '../store/container-store.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from '../lifecycle/log.js';

/**
 * The image config of a commit: the image's with the container's Env (without the
 * runtime-added HOSTNAME and TERM), Cmd, Entrypoint, WorkingDir, User, Labels,
 * ExposedPorts, StopSignal and Healthcheck.
 */
function commitConfig(c: StoredContainer, image: ImageInspect): NewImageSpec['config'] {
  const r = c.record;
  const ic = image.config ?? {};
  const userEnv = new Set((r.spec.env ?? []).map((e) => e.split('=')[0]!));
  const env = r.env.filter((e) => {
    if (e === `HOSTNAME=${r.hostname}` && !userEnv.has('HOSTNAME')) return false;
    if (e === 'TERM=xterm' && r.spec.tty && !userEnv.has('TERM') && !(ic.Env ?? []).includes(e)) return false;
    return true;
  });
  const exposed: Record<string, object> = { ...(ic.ExposedPorts ?? {}) };
  for (const p of r.spec.ports ?? []) exposed[`${p.containerPort}/${p.protocol}`] = {};
  return {
    Env: env,
    Cmd: r.cmd,
    Entrypoint: r.entrypoint,
    WorkingDir: r.spec.workingDir || ic.WorkingDir || '',
    User: r.user,
    Labels: Object.keys(r.labels).length ? { ...r.labels } : (ic.Labels ?? null),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: r.spec.stopSignal ?? ic.StopSignal,
    Healthcheck: r.healthcheck ?? ic.Healthcheck,
  };
}

/**
 * `docker commit`: the container's upper dir becomes one layer on top of its image, with
 * the config derived from the container and `changes` on top. A running container is
 * frozen until the layer is written unless `pause` is false.
 */
export async function commit(ctx: ContainerContext, idOrName: string, opts: CommitOptions = {}): Promise<{ id: string }> {
  const c = ctx.store.get(idOrName);
  const r = c.record;
  const image = await ctx.opts.images.resolve(r.imageId);
  const config = applyChanges(opts.config ?? commitConfig(c, image), opts.changes ?? []);

  let frozen = false;
  const thaw = async () => {
    if (!frozen) return;
    frozen = false;
    await ctx
      .cgroup(c)
      .freeze(false)
      .catch(logFailure(log, 'warn', 'thawing a container paused for a commit', { container: c.record.id }));
  };
  if (opts.pause !== false && c.state.status === 'running') {
    await ctx.withLock(r.id, async () => {
      if (c.state.status !== 'running') return;
      await ctx.cgroup(c).freeze(true);
      frozen = true;
    });
  }
  const upper = join(c.dir, 'upper');
  let created: ImageInspect;
  try {
    created = await ctx.opts.images.createImage({
      parent: r.imageId,
      source: { kind: 'overlay-upper', dir: upper, exclude: await runtimePlaceholders(upper, await ctx.opts.images.layerDirs(r.imageId)) },
      config,
      history: { created_by: opts.createdBy ?? [r.path, ...r.args].join(' '), comment: opts.message || undefined, author: opts.author || undefined },
      author: opts.author,
      ref: opts.ref,
      onLayerWritten: thaw,
    });
  } finally {
    await thaw();
  }
  ctx.emit(c, 'commit', { comment: opts.message ?? '', imageID: created.id, imageRef: opts.ref ?? '' });
  return { id: created.id };
}
