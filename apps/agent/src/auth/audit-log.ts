import type { Db } from '@skiff/db';

/**
 * One audit-log row, written in the background: a failed write never fails or delays the
 * call it records. `error` set means the call failed (its message is kept, shortened).
 */
export function writeAudit(db: Db, entry: { actor: string; action: string; target?: string; ip?: string; error?: string }): void {
  void db.auditEntry
    .create({ data: { actor: entry.actor, action: entry.action, target: entry.target, result: entry.error === undefined ? 'ok' : 'error', detail: entry.error?.slice(0, 500), ip: entry.ip } })
    .catch(() => {});
}
