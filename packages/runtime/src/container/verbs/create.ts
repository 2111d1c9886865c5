import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Conflict, InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec } from '../../types.js';
import { type ContainerContext, nowIso } from '../context.js';
import { diskFullError } from '../lifecycle/disk-errors.js';
import { writeEtcFiles } from '../shim/etc-files.js';
import { buildRecord } from '../spec/container-spec.js';
import { resolveMounts, type ResolvedMount } from '../spec/mounts.js';
import type { ContainerRecord } from '../store/container-record.js';
import { internalOwner } from '../store/internal-containers.js';
import { networkMode } from '../store/record-helpers.js';
import { removeAnonymousVolumes } from '../store/volume-users.js';

export async function create(ctx: ContainerContext, spec: ContainerCreateSpec): Promise<{ id: string; warnings: string[] }> {
  if (!spec || typeof spec.image !== 'string' || !spec.image) throw new InvalidArgument('an image is required');
  const image = await ctx.opts.images.resolve(spec.image);
  const name = spec.name ? ctx.store.validateName(spec.name) : ctx.store.newName();
  const id = ctx.store.newId();
  const record = buildRecord(spec, image, { id, name, created: nowIso() });
  const internal = internalOwner();
  if (internal) record.internal = internal;
  record.networks = distinctNetworks(ctx, record.networks);
  for (const l of spec.links ?? []) ctx.store.get(l.split(':')[0]!);
  record.mounts = await resolveMounts(spec.mounts ?? [], {
    volumes: ctx.opts.volumes,
    lowers: await ctx.opts.images.layerDirs(image.id),
    imageVolumes: Object.keys(image.config?.Volumes ?? {}),
    volumesFrom: volumesFrom(ctx, spec.volumesFrom ?? []),
    tmpDir: join(ctx.opts.root, 'tmp'),
  });
  const c = await ctx.store.add(record).catch(async (e) => {
    await removeAnonymousVolumes(ctx, record.mounts);
    throw e;
  });
  try {
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(c.dir, d));
    await writeEtcFiles(c.dir, { hostname: record.hostname, network: networkMode(record.spec.network) });
  } catch (e) {
    await ctx.store.delete(c);
    await removeAnonymousVolumes(ctx, record.mounts);
    throw diskFullError(e, `container ${name}'s files`);
  }
  ctx.emit(c, 'create');
  return { id, warnings: [] };
}

/**
 * The networks resolved (NotFound for a typo'd one) and each joined once: a network named
 * twice (by name and by id) is one endpoint, unless both ask for settings of their own.
 */
function distinctNetworks(ctx: ContainerContext, requests: ContainerRecord['networks']): ContainerRecord['networks'] {
  const byId = new Map<string, ContainerRecord['networks'][number]>();
  for (const r of requests) {
    const net = ctx.opts.networks.get(r.network);
    if (requests.length > 1 && net.driver !== 'bridge')
      throw new InvalidArgument(`container cannot be connected to network ${net.name}: use --network ${net.name} alone`);
    const seen = byId.get(net.id);
    const settings = (q: typeof r) => !!(q.ip || q.aliases?.length || q.mac);
    if (seen && settings(seen) && settings(r)) throw new Conflict(`container cannot be connected to network ${net.name} twice`);
    if (!seen || settings(r)) byId.set(net.id, { ...r, network: seen?.network ?? r.network });
  }
  return [...byId.values()];
}

/** `--volumes-from CONTAINER[:ro|rw]`: that container's volumes and binds, same targets */
function volumesFrom(ctx: ContainerContext, list: string[]): ResolvedMount[] {
  const out: ResolvedMount[] = [];
  for (const entry of list) {
    const [ref, mode] = entry.split(':');
    if (mode && mode !== 'ro' && mode !== 'rw') throw new InvalidArgument(`invalid mode "${mode}" in --volumes-from ${entry}`);
    const src = ctx.store.get(ref!);
    for (const m of src.record.mounts ?? []) {
      if (m.type === 'tmpfs') continue;
      out.push({ ...m, readOnly: mode === 'ro' ? true : mode === 'rw' ? false : m.readOnly });
    }
  }
  return out;
}
