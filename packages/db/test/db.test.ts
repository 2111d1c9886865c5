import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmigratedSchemaChanges } from '../src/migrate.js';
import { PRISMA_DIR, type Provider } from '../src/migrations.js';
import { defaultDatabaseUrl, isForeignKeyViolation, isRecordNotFound, isUniqueViolation, openDb, Role, type Db } from '../src/index.js';
import { testPostgres } from './postgres-server.js';

const run = promisify(execFile);
const PACKAGE_DIR = join(import.meta.dirname, '..');
const committed = (provider: Provider) =>
  readdirSync(join(PRISMA_DIR, provider, 'migrations'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const hourFromNow = () => new Date(Date.now() + 3600_000);

/** The same behaviour is required of both back ends. */
function suite(name: string, provider: Provider, setup: () => Promise<{ url: string; cleanup(): Promise<void> }>) {
  describe(name, () => {
    let url: string;
    let cleanup: (() => Promise<void>) | undefined;
    let db: Db | undefined;
    const client = () => {
      if (!db) throw new Error('the database did not open');
      return db;
    };

    beforeAll(async () => {
      ({ url, cleanup } = await setup());
    }, 60_000);
    afterAll(async () => {
      await db?.$disconnect();
      await cleanup?.();
    }, 30_000);

    it('applies every committed migration to an empty database, and nothing on the next open', async () => {
      const first = await openDb({ url });
      expect(first.provider).toBe(provider);
      expect(first.applied).toEqual(committed(provider));
      await first.db.$disconnect();

      const second = await openDb({ url });
      expect(second.applied).toEqual([]);
      db = second.db;
      const rows = await client().$queryRawUnsafe<{ migration_name: string }[]>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(committed(provider));
    });

    it('users: create, read, update, delete; roles; unique username', async () => {
      const u = await client().user.create({ data: { username: 'alice', passwordHash: '$argon2id$x', role: Role.operator } });
      expect(u).toMatchObject({ username: 'alice', role: 'operator', disabled: false });
      expect(u.createdAt).toBeInstanceOf(Date);
      expect((await client().user.create({ data: { username: 'bob', passwordHash: 'x' } })).role).toBe('viewer');

      const updated = await client().user.update({ where: { username: 'alice' }, data: { role: Role.admin, passwordHash: 'y' } });
      expect(updated).toMatchObject({ role: 'admin', passwordHash: 'y' });
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(u.updatedAt.getTime());

      const dup = await client()
        .user.create({ data: { username: 'alice', passwordHash: 'z' } })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(dup)).toBe(true);
      await expect(client().user.create({ data: { username: 'eve', passwordHash: 'z', role: 'root' as never } })).rejects.toThrow();

      expect((await client().user.findMany({ orderBy: { username: 'asc' } })).map((x) => x.username)).toEqual(['alice', 'bob']);
      await client().user.delete({ where: { username: 'bob' } });
      expect(await client().user.findUnique({ where: { username: 'bob' } })).toBeNull();
      expect(
        isRecordNotFound(
          await client()
            .user.delete({ where: { username: 'bob' } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
    });

    it('sessions: belong to a user, unique token hash, expiry queries, removed with the user', async () => {
      const user = await client().user.create({ data: { username: 'sess', passwordHash: 'x' } });
      const s = await client().session.create({ data: { tokenHash: 'sha256:s1', userId: user.id, expiresAt: hourFromNow(), ip: '10.0.0.1' } });
      await client().session.create({ data: { tokenHash: 'sha256:old', userId: user.id, expiresAt: new Date(Date.now() - 1000) } });
      expect(await client().session.findUnique({ where: { tokenHash: 'sha256:s1' }, include: { user: true } })).toMatchObject({
        id: s.id,
        user: { username: 'sess' },
      });

      expect(
        isUniqueViolation(
          await client()
            .session.create({ data: { tokenHash: 'sha256:s1', userId: user.id, expiresAt: hourFromNow() } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      expect(
        isForeignKeyViolation(
          await client()
            .session.create({ data: { tokenHash: 'sha256:s2', userId: 'nobody', expiresAt: hourFromNow() } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);

      const seen = new Date();
      await client().session.update({ where: { id: s.id }, data: { lastSeenAt: seen } });
      expect((await client().session.findUniqueOrThrow({ where: { id: s.id } })).lastSeenAt.getTime()).toBe(seen.getTime());
      expect((await client().session.deleteMany({ where: { expiresAt: { lt: new Date() } } })).count).toBe(1);

      await client().user.delete({ where: { id: user.id } });
      expect(await client().session.count({ where: { userId: user.id } })).toBe(0);
    });

    it('API tokens: hashed, prefixed, scoped, expiring, last used; unique hash; removed with the user', async () => {
      const user = await client().user.create({ data: { username: 'ci', passwordHash: 'x' } });
      const t = await client().apiToken.create({
        data: { name: 'deploy', tokenHash: 'sha256:t1', prefix: 'sk_ab12', scopes: 'read,operate', userId: user.id },
      });
      expect(t).toMatchObject({ expiresAt: null, lastUsedAt: null });
      const expires = hourFromNow();
      const used = new Date();
      await client().apiToken.update({ where: { tokenHash: 'sha256:t1' }, data: { lastUsedAt: used, expiresAt: expires } });
      const loaded = await client().apiToken.findUniqueOrThrow({ where: { tokenHash: 'sha256:t1' }, include: { user: true } });
      expect(loaded).toMatchObject({ prefix: 'sk_ab12', scopes: 'read,operate', user: { username: 'ci' } });
      expect([loaded.lastUsedAt?.getTime(), loaded.expiresAt?.getTime()]).toEqual([used.getTime(), expires.getTime()]);

      expect(
        isUniqueViolation(
          await client()
            .apiToken.create({ data: { name: 'again', tokenHash: 'sha256:t1', prefix: 'sk_x', scopes: 'read', userId: user.id } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      await client().user.delete({ where: { id: user.id } });
      expect(await client().apiToken.count()).toBe(0);
    });

    it('audit entries: append and page newest first by createdAt', async () => {
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) {
        await client().auditEntry.create({
          data: {
            actor: 'admin',
            action: `container.op${i}`,
            target: `c${i}`,
            result: i === 3 ? 'error' : 'ok',
            detail: i === 3 ? 'boom' : null,
            ip: '127.0.0.1',
            createdAt: new Date(t0 + i * 1000),
          },
        });
      }
      await client().auditEntry.create({ data: { actor: 'system', action: 'agent.start', result: 'ok' } });
      const page = await client().auditEntry.findMany({ where: { actor: 'admin' }, orderBy: { createdAt: 'desc' }, take: 2 });
      expect(page.map((e) => e.action)).toEqual(['container.op4', 'container.op3']);
      expect(page[1]).toMatchObject({ result: 'error', detail: 'boom', ip: '127.0.0.1' });
      expect(await client().auditEntry.count({ where: { createdAt: { gte: new Date(t0 + 2500) }, actor: 'admin' } })).toBe(2);
      expect((await client().auditEntry.deleteMany({ where: { actor: 'admin', createdAt: { lt: new Date(t0 + 1500) } } })).count).toBe(2);
    });

    it('settings: key/value upsert, update, delete', async () => {
      await client().setting.upsert({ where: { key: 'theme' }, create: { key: 'theme', value: 'dark' }, update: { value: 'dark' } });
      await client().setting.upsert({ where: { key: 'theme' }, create: { key: 'theme', value: 'light' }, update: { value: 'light' } });
      expect(await client().setting.findMany()).toMatchObject([{ key: 'theme', value: 'light' }]);
      expect(
        isUniqueViolation(
          await client()
            .setting.create({ data: { key: 'theme', value: 'x' } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      await client().setting.delete({ where: { key: 'theme' } });
      expect(await client().setting.count()).toBe(0);
    });

    it('registry credentials: one per registry, update, delete', async () => {
      await client().registryCredential.create({ data: { registry: 'registry.example:5000', username: 'u', secretEncrypted: 'v1:iv:ct:tag' } });
      expect(
        isUniqueViolation(
          await client()
            .registryCredential.create({ data: { registry: 'registry.example:5000', username: 'v', secretEncrypted: 'x' } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      await client().registryCredential.update({ where: { registry: 'registry.example:5000' }, data: { username: 'v', secretEncrypted: 'v1:iv2:ct2:tag2' } });
      expect(await client().registryCredential.findUnique({ where: { registry: 'registry.example:5000' } })).toMatchObject({
        username: 'v',
        secretEncrypted: 'v1:iv2:ct2:tag2',
      });
      await client().registryCredential.delete({ where: { registry: 'registry.example:5000' } });
      expect(await client().registryCredential.count()).toBe(0);
    });

    it('stacks: one per name, update bumps updatedAt, delete', async () => {
      const created = await client().stack.create({ data: { name: 'web', composeFile: 'services: {}\n', updatedBy: 'admin' } });
      expect(created.envFile).toBe('');
      expect(
        isUniqueViolation(
          await client()
            .stack.create({ data: { name: 'web', composeFile: 'x' } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      const updated = await client().stack.update({ where: { name: 'web' }, data: { envFile: 'A=1\n', updatedBy: 'bob' } });
      expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await client().stack.findUnique({ where: { name: 'web' } })).toMatchObject({ envFile: 'A=1\n', updatedBy: 'bob' });
      await client().stack.delete({ where: { name: 'web' } });
      expect(await client().stack.count()).toBe(0);
    });

    it('backup plans: one per name; runs keep sizes as floats and go with their plan', async () => {
      const plan = await client().backupPlan.create({ data: { name: 'nightly', target: '{"kind":"volume"}', destination: '{"kind":"local"}', keepLast: 3 } });
      expect(plan).toMatchObject({ compression: 'zstd', enabled: true, schedule: null, keepDays: null });
      expect(
        isUniqueViolation(
          await client()
            .backupPlan.create({ data: { name: 'nightly', target: '{}', destination: '{}' } })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);
      // past 2^31: sizes are doubles, exact to 2^53
      const size = 5 * 1024 ** 3 + 1;
      const run = await client().backupRun.create({
        data: { planId: plan.id, status: 'succeeded', trigger: 'manual', kind: 'volume', compression: 'zstd', size },
      });
      expect((await client().backupRun.findUnique({ where: { id: run.id } }))?.size).toBe(size);
      await client().backupPlan.delete({ where: { id: plan.id } });
      expect(await client().backupRun.count()).toBe(0);
    });

    it('transactions roll back as a whole', async () => {
      await expect(
        client().$transaction(async (tx) => {
          await tx.user.create({ data: { username: 'tx', passwordHash: 'x' } });
          await tx.user.create({ data: { username: 'tx', passwordHash: 'x' } });
        }),
      ).rejects.toThrow();
      expect(await client().user.findUnique({ where: { username: 'tx' } })).toBeNull();
    });

    it('the committed migrations match prisma/models.prisma (run migration:new after editing it)', async () => {
      // SQLite replays into an in-memory shadow and needs no file; PostgreSQL needs the server
      expect(await unmigratedSchemaChanges(provider === 'sqlite' ? 'file::memory:' : url)).toBe('');
    }, 30_000);
  });
}

suite('SQLite (embedded default)', 'sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-db-'));
  return { url: `file:${join(dir, 'nested', 'skiff.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const postgres = testPostgres();
if (postgres) {
  suite('PostgreSQL', 'postgresql', async () => {
    const pg = await postgres();
    return { url: pg.url, cleanup: () => pg.stop() };
  });
} else {
  describe.skip('PostgreSQL (set SKIFF_TEST_PG_URL or install Debian postgresql)', () => {
    it('skipped', () => {});
  });
}

describe('configuration', () => {
  it('rejects an unsupported URL clearly', async () => {
    await expect(openDb({ url: 'mysql://root:secret@x/db' })).rejects.toThrow(/unsupported DATABASE_URL "mysql:\/\/root:\*\*\*@x\/db"/);
  });

  it('defaults to SQLite in the runtime root, DATABASE_URL wins', () => {
    const saved = process.env.DATABASE_URL;
    try {
      delete process.env.DATABASE_URL;
      expect(defaultDatabaseUrl('/tmp/root')).toBe('file:/tmp/root/skiff.db');
      process.env.DATABASE_URL = 'postgresql://u@h/db';
      expect(defaultDatabaseUrl('/tmp/root')).toBe('postgresql://u@h/db');
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});

describe('Prisma CLI, offline', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-db-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate deploy and status run through bin/schema-engine, never downloading an engine', async () => {
    // an unreachable mirror: any engine download attempt would fail this test
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `file:${join(dir, 'cli.db')}`, PRISMA_ENGINES_MIRROR: 'http://127.0.0.1:9' };
    delete env.PRISMA_SCHEMA_ENGINE_BINARY; // prisma.config.ts must set it
    const prisma = (...args: string[]) => run('npx', ['--no-install', 'prisma', ...args], { cwd: PACKAGE_DIR, env, timeout: 60_000 });
    const deploy = await prisma('migrate', 'deploy');
    expect(deploy.stdout).toMatch(/All migrations have been successfully applied/);
    const status = await prisma('migrate', 'status');
    expect(status.stdout).toMatch(/Database schema is up to date/);
    // and the agent's own open sees the CLI's bookkeeping
    const opened = await openDb({ url: env.DATABASE_URL! });
    expect(opened.applied).toEqual([]);
    await opened.db.$disconnect();
  }, 60_000);
});
