import type { ContainerContext } from '../context.js';
import type { StoredContainer } from '../store/container-store.js';

/**
 * Docker's `connect` / `disconnect` network events for every network a container is on:
 * dockerd emits them as a start joins its networks and as an exit leaves them, not only
 * on `network connect|disconnect`. The network is the actor, the container an attribute.
 */
export function networkEvents(ctx: ContainerContext, c: StoredContainer, action: 'connect' | 'disconnect', networkIds: string[]): void {
  ctx.summaries.invalidate(c);
  const known = ctx.opts.networks.list();
  for (const id of networkIds) {
    const n = known.find((k) => k.id === id);
    if (n) ctx.opts.networks.onEvent(action, n, c.record.id);
  }
}

/** the ids of the networks a running container is attached to now */
export function attachedNetworks(ctx: ContainerContext, c: StoredContainer): string[] {
  return ctx.opts.networks.networkingOf(c.record.id)?.endpoints.map((e) => e.networkId) ?? [];
}
