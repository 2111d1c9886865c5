import { AsyncLocalStorage } from 'node:async_hooks';
import type { ContainerRecord } from './container-record.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'store' });

/** Who owns an internal container: the runtime itself, never a user. */
export type InternalOwner = NonNullable<ContainerRecord['internal']>;

const owner = new AsyncLocalStorage<InternalOwner>();

/**
 * Runs `fn` as the runtime's own user of containers (a build's RUN step): containers it
 * creates are internal, and only code running like this can look them up. Everything an
 * API caller reaches runs outside, so to every user they do not exist: not listed, not
 * found by id, name or prefix, no events, not pruned, and not removable.
 */
export function asInternal<T>(who: InternalOwner, fn: () => Promise<T>): Promise<T> {
  return owner.run(who, fn);
}

/** the owner the running code acts for, or undefined for a user's request */
export function internalOwner(): InternalOwner | undefined {
  return owner.getStore();
}

/** may the running code see this container? */
export function visibleHere(record: Pick<ContainerRecord, 'internal'>): boolean {
  return !record.internal || owner.getStore() === record.internal;
}

/**
 * At agent start, every internal container is an orphan: the build that made it died with
 * the agent before removing it. Its step is killed (the shim outlives the agent) and the
 * container removed with its cgroup, as a forced rm would.
 */
export async function removeOrphanedInternal(records: ContainerRecord[], remove: (id: string) => Promise<void>): Promise<void> {
  for (const r of records) {
    if (!r.internal) continue;
    await asInternal(r.internal, () => remove(r.id)).catch((e: unknown) => {
      log.warn('removing an orphaned internal container', { container: r.id, internal: r.internal, err: e });
    });
  }
}
