import type { ContainerContext } from '../context.js';
import type { ResolvedMount } from '../spec/mounts.js';
import type { ContainerStore } from './container-store.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'volume' });

/** ids of the containers (any state) that mount a volume */
export function volumeUsers(store: ContainerStore, name: string): string[] {
  return store
    .all()
    .filter((c) => c.record.mounts?.some((m) => m.name === name))
    .map((c) => c.record.id);
}

/** a container's anonymous volumes that no other container mounts */
export async function removeAnonymousVolumes(ctx: ContainerContext, mounts: ResolvedMount[] = [], exceptUsedBy?: string): Promise<void> {
  for (const m of mounts) {
    if (!m.anonymous || !m.name) continue;
    if (volumeUsers(ctx.store, m.name).some((id) => id !== exceptUsedBy)) continue;
    await ctx.opts.volumes
      .remove(m.name, { force: true })
      .catch(logFailure(log, 'warn', 'removing an anonymous volume', { volume: m.name, container: exceptUsedBy }));
  }
}
