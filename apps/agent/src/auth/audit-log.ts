import type { Db } from '@skiff/db';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'audit' });

export interface AuditInput {
  actor: string;
  action: string;
  target?: string;
  ip?: string;
  /** set: the call failed (its message is kept, shortened) */
  error?: string;
}

/**
 * Rows wait this long before they are written: a Prisma insert is ~0.5 ms of the event
 * loop's time, and done inline it sat between a mutation's result and its answer (and
 * between a short container's start and the handling of its exit). Readers flush first.
 */
const FLUSH_DELAY_MS = 50;

class AuditQueue {
  private pending: { actor: string; action: string; target?: string; result: string; detail?: string; ip?: string; createdAt: Date }[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db) {}

  add(entry: AuditInput): void {
    this.pending.push({
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      result: entry.error === undefined ? 'ok' : 'error',
      detail: entry.error?.slice(0, 500),
      ip: entry.ip,
      createdAt: new Date(), // when it happened, not when it was written
    });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** writes every row added so far; resolves once they are in the database */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      // one insert each: createMany costs more per row in Prisma's query compiler
      for (const data of rows)
        await this.db.auditEntry
          .create({ data })
          .catch(logFailure(log, 'warn', 'writing an audit entry', { action: data.action, actor: data.actor, target: data.target }));
    });
    return this.writing;
  }
}

const queues = new WeakMap<Db, AuditQueue>();
const queueOf = (db: Db): AuditQueue => {
  let q = queues.get(db);
  if (!q) queues.set(db, (q = new AuditQueue(db)));
  return q;
};

/** One audit-log row, written in the background: a failed write never fails or delays the call it records. */
export function writeAudit(db: Db, entry: AuditInput): void {
  queueOf(db).add(entry);
}

/** waits until every row recorded so far is written (before reading the log, and at shutdown) */
export function flushAudit(db: Db): Promise<void> {
  return queues.get(db)?.flush() ?? Promise.resolve();
}
