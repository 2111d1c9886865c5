import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '@skiff/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAudit, writeAudit } from '../src/auth/audit-log.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
let db: Db;
beforeAll(async () => {
  db = (await openDb({ url: `file:${join(dir, 'audit.db')}` })).db;
});
afterAll(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('the audit log writer', () => {
  it('keeps rows off the call that records them, writes them soon, and a flush writes them at once', async () => {
    writeAudit(db, { actor: 'otto', action: 'containers.run', target: 'busybox' });
    writeAudit(db, { actor: 'otto', action: 'containers.remove', target: 'x', error: 'no such container: x' });
    // nothing was written while the caller was still running
    expect(await db.auditEntry.count()).toBe(0);
    await flushAudit(db);
    const rows = await db.auditEntry.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    expect(rows.map((r) => [r.action, r.result, r.detail])).toEqual([
      ['containers.run', 'ok', null],
      ['containers.remove', 'error', 'no such container: x'],
    ]);

    const before = Date.now();
    writeAudit(db, { actor: 'vera', action: 'images.pull', target: 'busybox' });
    await new Promise((r) => setTimeout(r, 300)); // no flush: the timer writes it
    const row = await db.auditEntry.findFirst({ where: { actor: 'vera' } });
    // stamped when it was recorded, not when it was written
    expect(row?.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row!.createdAt.getTime()).toBeLessThan(before + 50);
  });
});
