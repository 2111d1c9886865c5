import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../src/index.js';
import { postgresAvailable, startPostgres } from './postgres-server.js';

/** The same behaviour is required of both back ends. */
function suite(name: string, setup: () => Promise<{ url: string; cleanup(): void }>) {
  describe(name, () => {
    let url: string;
    let cleanup: () => void;
    let db: Db;

    beforeAll(async () => {
      ({ url, cleanup } = await setup());
    }, 60_000);
    afterAll(async () => {
      await db?.$disconnect();
      cleanup?.();
    });

    it('applies the committed migrations on first open, and nothing on the next', async () => {
      const first = await openDb({ url });
      expect(first.applied.length).toBeGreaterThan(0);
      await first.db.$disconnect();
      const second = await openDb({ url });
      expect(second.applied).toEqual([]);
      db = second.db;
    });

    it('stores users, sessions, tokens, audit entries, settings and registry credentials', async () => {
      const user = await db.user.create({ data: { username: 'admin', passwordHash: 'x', role: 'admin' } });
      await db.session.create({ data: { tokenHash: 's1', userId: user.id, expiresAt: new Date(Date.now() + 3600_000) } });
      await db.apiToken.create({ data: { name: 'ci', tokenHash: 't1', prefix: 'sk_ab', scopes: 'read,operate', userId: user.id } });
      await db.auditEntry.create({ data: { actor: 'admin', action: 'container.run', target: 'web', result: 'ok' } });
      await db.setting.upsert({ where: { key: 'theme' }, create: { key: 'theme', value: 'dark' }, update: { value: 'dark' } });
      await db.registryCredential.create({ data: { registry: 'registry.example', username: 'u', secretEncrypted: 'enc' } });
      const loaded = await db.user.findUnique({ where: { username: 'admin' }, include: { sessions: true, apiTokens: true } });
      expect(loaded).toMatchObject({ role: 'admin', sessions: [{ tokenHash: 's1' }], apiTokens: [{ name: 'ci', scopes: 'read,operate' }] });
      expect(await db.auditEntry.count()).toBe(1);
      expect((await db.setting.findUnique({ where: { key: 'theme' } }))?.value).toBe('dark');
      // deleting a user takes their sessions and tokens with them
      await db.user.delete({ where: { id: user.id } });
      expect(await db.session.count()).toBe(0);
      expect(await db.apiToken.count()).toBe(0);
    });

    it('enforces unique constraints', async () => {
      await db.user.create({ data: { username: 'dup', passwordHash: 'x' } });
      await expect(db.user.create({ data: { username: 'dup', passwordHash: 'y' } })).rejects.toMatchObject({ code: 'P2002' });
    });
  });
}

suite('SQLite (embedded default)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-db-'));
  return { url: `file:${join(dir, 'nested', 'skiff.db')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

if (postgresAvailable()) {
  suite('PostgreSQL', async () => {
    const pg = process.env.SKIFF_TEST_PG_URL ? { url: process.env.SKIFF_TEST_PG_URL, stop() {} } : await startPostgres();
    return { url: pg.url, cleanup: () => pg.stop() };
  });
}

describe('configuration', () => {
  it('rejects an unsupported URL clearly', async () => {
    await expect(openDb({ url: 'mysql://x' })).rejects.toThrow(/unsupported DATABASE_URL/);
  });
});
