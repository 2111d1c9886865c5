import type { Db } from '@skiff/db';
import { logger } from '@skiff/logger';
import { Conflict, NotFound, type Runtime } from '@skiff/runtime';
import type { Principal } from '../auth/principal.js';
import type { SecretBox } from '../auth/secrets.js';
import { openDestination } from './destinations/open-destination.js';
import { restoreRun, type RestoreRequest } from './engine/restore.js';
import { claim, failInterruptedRuns, isRunning, startBackup } from './engine/run-backup.js';
import { nextRun, Scheduler } from './engine/schedule.js';
import type { PlanInput, PlanUpdate } from './plan-schema.js';
import { checkPlanAccess, createPlan, loadPlan, planOf, planView, updatePlan, type Plan } from './plan-store.js';

const log = logger.child({ component: 'backup' });

export interface BackupDeps {
  db: Db;
  /** the agent's own runtime: scheduled runs have no caller (the plan's creator was checked at create) */
  runtime: Runtime;
  secrets: SecretBox;
  root: string;
}

/**
 * Backups in the agent: plans in the database, a cron job per scheduled plan, runs (never
 * two of one plan at once), retention, restores. The tRPC router and the daemon use this.
 */
export class BackupService {
  private readonly scheduler = new Scheduler((id) => this.fire(id));
  /** runs in progress, awaited by stop() so a run's row is not left `running` by a clean stop */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: BackupDeps) {}

  /** at agent start: runs a stopped agent left `running` become failed ones, and the schedules start */
  async start(): Promise<void> {
    const interrupted = await failInterruptedRuns(this.deps.db);
    if (interrupted) log.warn('backup runs were interrupted by the agent stopping', { runs: interrupted });
    for (const row of await this.deps.db.backupPlan.findMany()) {
      try {
        const p = planOf(row);
        this.scheduler.set(p.id, p.schedule, p.enabled);
      } catch (e) {
        log.error('a backup plan is unreadable and is not scheduled', { plan: row.name, err: e });
      }
    }
  }

  /** the schedules stop; runs in progress get `graceMs` to end */
  async stop(graceMs = 1_000): Promise<void> {
    this.scheduler.stop();
    if (this.inflight.size) await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  async list() {
    const rows = await this.deps.db.backupPlan.findMany({ orderBy: { name: 'asc' }, include: { runs: { orderBy: { startedAt: 'desc' }, take: 1 } } });
    return rows.map((row) => {
      const { runs, ...plan } = row;
      return { ...planView(planOf(plan)), lastRun: runs[0] ?? null, running: isRunning(row.id), nextRun: row.enabled ? nextRun(row.schedule) : null };
    });
  }

  async get(name: string) {
    const p = await loadPlan(this.deps.db, name);
    return { ...planView(p), running: isRunning(p.id), nextRun: p.enabled ? nextRun(p.schedule) : null };
  }

  async create(input: PlanInput, principal: Principal) {
    const p = await createPlan(this.deps, input, principal);
    this.scheduler.set(p.id, p.schedule, p.enabled);
    return planView(p);
  }

  async update(input: PlanUpdate, principal: Principal) {
    const p = await updatePlan(this.deps, input, principal);
    this.scheduler.set(p.id, p.schedule, p.enabled);
    return planView(p);
  }

  /** the plan and its run rows; with `purge` its archives too (else they stay at the destination) */
  async remove(name: string, principal: Principal, purge = false): Promise<{ removedArchives: number }> {
    const p = await loadPlan(this.deps.db, name);
    checkPlanAccess(p, principal, this.deps.root);
    this.scheduler.remove(p.id);
    let removedArchives = 0;
    if (purge) {
      const dest = await openDestination(p.destination, this.deps.secrets);
      for (const r of await this.deps.db.backupRun.findMany({ where: { planId: p.id, location: { not: null } } })) {
        await dest.remove(r.location!);
        removedArchives++;
      }
    }
    await this.deps.db.backupPlan.delete({ where: { id: p.id } });
    return { removedArchives };
  }

  /** a run now; `wait` returns it finished (succeeded or failed), else at once as `running` */
  async run(name: string, wait = true) {
    const p = await loadPlan(this.deps.db, name);
    const { run, done } = await startBackup(this.deps, p, 'manual', claim(p.id, p.name));
    const tracked = this.track(done);
    return wait ? tracked : run;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work)).catch((e: unknown) => log.error('a backup run ended in error', { err: e }));
    return work;
  }

  /** a cron tick: skipped (and logged) while the plan's last run is still going */
  private fire(planId: string): void {
    void (async () => {
      const row = await this.deps.db.backupPlan.findUnique({ where: { id: planId } });
      if (!row) return this.scheduler.remove(planId);
      const p: Plan = planOf(row);
      if (!p.enabled) return;
      if (isRunning(p.id)) {
        log.warn('a scheduled backup is skipped: the last run of the plan is still going', { plan: p.name });
        return;
      }
      const { done } = await startBackup(this.deps, p, 'schedule', claim(p.id, p.name));
      await this.track(done);
    })().catch((e: unknown) => log.error('a scheduled backup could not start', { plan: planId, err: e }));
  }

  async runs(opts: { name?: string; limit?: number }) {
    let planId: string | undefined;
    if (opts.name) planId = (await loadPlan(this.deps.db, opts.name)).id;
    const rows = await this.deps.db.backupRun.findMany({
      where: planId ? { planId } : {},
      orderBy: { startedAt: 'desc' },
      take: opts.limit ?? 50,
      include: { plan: { select: { name: true } } },
    });
    return rows.map(({ plan, ...r }) => ({ ...r, plan: plan.name }));
  }

  restore(req: RestoreRequest) {
    return restoreRun(this.deps, req);
  }

  /** one backup: its archive, then its row */
  async deleteRun(id: string, principal: Principal): Promise<void> {
    const run = await this.deps.db.backupRun.findUnique({ where: { id }, include: { plan: true } });
    if (!run) throw new NotFound(`no backup run ${id}`);
    const p = planOf(run.plan);
    checkPlanAccess(p, principal, this.deps.root);
    if (run.status === 'running') throw new Conflict(`backup run ${id} is still running`);
    if (run.location) await (await openDestination(p.destination, this.deps.secrets)).remove(run.location);
    await this.deps.db.backupRun.delete({ where: { id } });
  }
}
