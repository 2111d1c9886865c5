import type { Db } from '@skiff/db';
import { logger } from '@skiff/logger';
import type { SecretBox } from '../../auth/secrets.js';
import { openDestination } from '../destinations/open-destination.js';
import type { Plan } from '../plan-store.js';

const log = logger.child({ component: 'backup' });

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionRun {
  id: string;
  status: string;
  startedAt: Date;
}

/**
 * Which finished runs retention removes, newest first in `runs`: a run is kept while it is
 * among the newest `keepLast` or younger than `keepDays` (either rule keeps it), and the
 * newest successful backup is always kept, so a plan that stopped running never ends up
 * with nothing. Without any rule, everything is kept.
 */
export function toPrune(runs: RetentionRun[], rule: { keepLast: number | null; keepDays: number | null }, now: Date): string[] {
  if (rule.keepLast === null && rule.keepDays === null) return [];
  const finished = runs.filter((r) => r.status !== 'running');
  const newestGood = finished.find((r) => r.status === 'succeeded')?.id;
  return finished
    .filter((r, i) => {
      if (r.id === newestGood) return false;
      const byCount = rule.keepLast !== null && i < rule.keepLast;
      const byAge = rule.keepDays !== null && now.getTime() - r.startedAt.getTime() < rule.keepDays * DAY_MS;
      return !byCount && !byAge;
    })
    .map((r) => r.id);
}

/** removes the archives of the runs retention drops, then their rows (a row stays while its archive could not be removed) */
export async function applyRetention(deps: { db: Db; secrets: SecretBox }, plan: Plan, now = new Date()): Promise<string[]> {
  const runs = await deps.db.backupRun.findMany({ where: { planId: plan.id }, orderBy: { startedAt: 'desc' } });
  const drop = new Set(toPrune(runs, plan, now));
  if (!drop.size) return [];
  const dest = await openDestination(plan.destination, deps.secrets);
  const removed: string[] = [];
  for (const r of runs) {
    if (!drop.has(r.id)) continue;
    try {
      if (r.location) await dest.remove(r.location);
      await deps.db.backupRun.delete({ where: { id: r.id } });
      removed.push(r.id);
    } catch (e) {
      log.error('retention could not remove a backup', { plan: plan.name, run: r.id, location: r.location, err: e });
    }
  }
  if (removed.length) log.info('retention removed backups', { plan: plan.name, removed: removed.length });
  return removed;
}
