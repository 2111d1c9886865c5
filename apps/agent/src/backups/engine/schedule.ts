import { Cron } from 'croner';
import { logger } from '@skiff/logger';
import { InvalidArgument } from '@skiff/runtime';

const log = logger.child({ component: 'backup' });

/** refuses an expression croner cannot parse (5 fields, 6 with seconds, @daily …); times are UTC */
export function checkSchedule(expr: string): void {
  try {
    new Cron(expr, { paused: true, timezone: 'Etc/UTC' }).stop();
  } catch (e) {
    throw new InvalidArgument(`invalid schedule "${expr}": ${(e as Error).message}`);
  }
}

/** the next time an expression fires (for listings), or null */
export function nextRun(expr: string | null): Date | null {
  if (!expr) return null;
  try {
    const c = new Cron(expr, { paused: true, timezone: 'Etc/UTC' });
    const next = c.nextRun();
    c.stop();
    return next;
  } catch (e) {
    log.warn('a stored schedule is unreadable', { schedule: expr, err: e });
    return null;
  }
}

/**
 * One cron job per scheduled plan. A job only calls `fire`; whether a run may start (none
 * of the plan already running) is the runner's decision, so a slow run and the next tick
 * never overlap.
 */
export class Scheduler {
  private readonly jobs = new Map<string, { expr: string; job: Cron }>();

  constructor(private readonly fire: (planId: string) => void) {}

  /** (re)schedules a plan; null or disabled unschedules it */
  set(planId: string, expr: string | null, enabled: boolean): void {
    const current = this.jobs.get(planId);
    if (current && current.expr === expr && enabled) return;
    this.remove(planId);
    if (!expr || !enabled) return;
    try {
      const job = new Cron(expr, { timezone: 'Etc/UTC', protect: true }, () => this.fire(planId));
      this.jobs.set(planId, { expr, job });
    } catch (e) {
      log.error('a backup plan cannot be scheduled', { plan: planId, schedule: expr, err: e });
    }
  }

  remove(planId: string): void {
    this.jobs.get(planId)?.job.stop();
    this.jobs.delete(planId);
  }

  stop(): void {
    for (const { job } of this.jobs.values()) job.stop();
    this.jobs.clear();
  }
}
