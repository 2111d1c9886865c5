import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type { Db } from '@skiff/db';
import { logger } from '@skiff/logger';
import { Conflict, type Runtime } from '@skiff/runtime';
import type { SecretBox } from '../../auth/secrets.js';
import { artifactKey, extensionOf } from '../artifact-key.js';
import type { Destination } from '../destinations/destination.js';
import { openDestination } from '../destinations/open-destination.js';
import type { Plan } from '../plan-store.js';
import { databaseSource } from '../sources/database-source.js';
import type { BackupSource } from '../sources/source.js';
import { volumeSource } from '../sources/volume-source.js';
import { compressor, Meter } from './byte-streams.js';
import { applyRetention } from './retention.js';

const log = logger.child({ component: 'backup' });

export interface RunDeps {
  db: Db;
  runtime: Runtime;
  secrets: SecretBox;
}

/** plans with a run in progress (this agent's; a run never outlives the agent) */
const running = new Set<string>();
export const isRunning = (planId: string) => running.has(planId);

/**
 * Claims the plan before its run row is written: a second run of the same plan (a manual
 * one during a scheduled one, or a tick while the last is still going) is refused, never
 * queued behind it.
 */
export function claim(planId: string, name: string): () => void {
  if (running.has(planId)) throw new Conflict(`backup plan "${name}" is already running`);
  running.add(planId);
  return () => running.delete(planId);
}

async function openSource(runtime: Runtime, plan: Plan): Promise<BackupSource> {
  return plan.target.kind === 'volume' ? volumeSource(runtime, plan.target) : databaseSource(runtime, plan.target);
}

const sourceKind = (plan: Plan) => (plan.target.kind === 'volume' ? 'volume' : plan.target.engine);

/**
 * Starts one run, and `done` ends it: the row is written first (status running), the source streamed through the
 * compressor and a meter to the destination, then the row says how it ended: size, raw
 * size, sha256, duration, or the error. A failed run leaves no archive behind. Retention
 * runs after a success.
 */
export async function startBackup(deps: RunDeps, plan: Plan, trigger: 'manual' | 'schedule', release: () => void) {
  const started = new Date();
  let run: RunRow;
  try {
    run = await deps.db.backupRun.create({
      data: { planId: plan.id, status: 'running', trigger, kind: sourceKind(plan), compression: plan.compression, startedAt: started },
    });
  } catch (e) {
    release();
    throw e;
  }
  return { run, done: runBackup(deps, plan, run, release) };
}

type RunRow = Awaited<ReturnType<Db['backupRun']['create']>>;

async function runBackup(deps: RunDeps, plan: Plan, run: RunRow, release: () => void): Promise<RunRow> {
  const started = run.startedAt;
  const kind = run.kind;
  let key: string | undefined;
  let dest: Destination | undefined;
  let stored = false;
  try {
    key = artifactKey(plan.name, run.id, started, extensionOf(kind, plan.compression));
    dest = await openDestination(plan.destination, deps.secrets);
    const source = await openSource(deps.runtime, plan);
    const raw = new Meter();
    const packed = new Meter({ hash: true });
    const body = new PassThrough();
    // a destination that fails (refused credentials) ends the read, and a read that fails ends the upload
    // (the first failure is the cause; the other side then fails only because it was cut off)
    let streamError: unknown;
    const first = (e: unknown) => {
      streamError ??= e;
    };
    await Promise.allSettled([
      dest.put(key, body).catch((e: Error) => {
        first(e);
        body.destroy(e);
      }),
      pipeline(source.stream, raw, compressor(plan.compression), packed, body).catch(first),
    ]);
    // the source's own verdict (a dump's exit code, unpause, post-hook) counts even when the stream failed
    await source.finish(streamError);
    if (streamError) throw streamError;
    stored = true;
    const finished = new Date();
    const done = await deps.db.backupRun.update({
      where: { id: run.id },
      data: {
        status: 'succeeded',
        finishedAt: finished,
        durationMs: finished.getTime() - started.getTime(),
        size: packed.bytes,
        rawSize: raw.bytes,
        sha256: packed.digest(),
        location: key,
      },
    });
    log.info('backup done', { plan: plan.name, run: run.id, size: packed.bytes, raw: raw.bytes, ms: done.durationMs, dest: dest.describe });
    await applyRetention(deps, plan).catch((e: unknown) => log.error('applying a backup retention failed', { plan: plan.name, err: e }));
    return done;
  } catch (e) {
    const message = (e as Error).message || String(e);
    log.error('backup failed', { plan: plan.name, run: run.id, err: e });
    if (!stored && dest && key) await dest.remove(key).catch((e2: unknown) => log.warn('removing a failed backup archive', { plan: plan.name, key, err: e2 }));
    const finished = new Date();
    return deps.db.backupRun.update({
      where: { id: run.id },
      data: { status: 'failed', finishedAt: finished, durationMs: finished.getTime() - started.getTime(), error: message.slice(0, 4000) },
    });
  } finally {
    release();
  }
}

/** runs left `running` by an agent that stopped during them: they failed, and say so */
export async function failInterruptedRuns(db: Db): Promise<number> {
  const r = await db.backupRun.updateMany({
    where: { status: 'running' },
    data: { status: 'failed', finishedAt: new Date(), error: 'the agent stopped during this run' },
  });
  return r.count;
}
