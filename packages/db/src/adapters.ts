import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { InvalidDatabaseUrl } from './errors.js';
import type { Provider } from './migrations.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'db' });

/** `file:…` (SQLite, the embedded default) or `postgres(ql)://…` (PostgreSQL). */
export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new InvalidDatabaseUrl(`unsupported DATABASE_URL "${redactUrl(url)}": use file:/path/to.db or postgresql://user:pass@host/db`);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * The driver adapter the Prisma client runs on: better-sqlite3 or pg, plain npm
 * packages, so no engine binary is involved at install or run time.
 */
export function clientAdapterFor(url: string): SqlMigrationAwareDriverAdapterFactory {
  return providerOf(url) === 'sqlite' ? new PrismaBetterSqlite3({ url }) : new PrismaPg({ connectionString: url });
}

/**
 * The driver adapter the WebAssembly schema engine migrates through. Same drivers, with
 * what the engine needs beyond the client: a shadow database (for creating migrations;
 * default: in-memory SQLite, or a temporary database on the same PostgreSQL server) and,
 * on PostgreSQL, catalog columns of type "char" the pg adapter refuses.
 */
export function migrationAdapterFor(url: string, shadowDatabaseUrl?: string): SqlMigrationAwareDriverAdapterFactory {
  if (providerOf(url) === 'sqlite') return new PrismaBetterSqlite3({ url }, shadowDatabaseUrl ? { shadowDatabaseUrl } : undefined);
  const connect = (u: string) => new PrismaPg(new CatalogFriendlyPool({ connectionString: u }), { disposeExternalPool: true }).connect();
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connect(url),
    connectToShadowDb: () => (shadowDatabaseUrl ? connect(shadowDatabaseUrl) : temporaryDatabase(url, connect)),
  };
}

/** pg's type OID for the one-byte "char" of pg_catalog (relkind, contype, …). */
const PG_CHAR = 18;
const PG_TEXT = 25;

/**
 * The schema engine reads pg_catalog columns of type "char" to describe a database
 * (`db push`, drift checks); @prisma/adapter-pg has no mapping for that type and fails
 * the query. Its values arrive as one-letter strings, so reporting them as text is exact.
 */
class CatalogFriendlyPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: an override of pg.Pool's overloaded query must accept and return what every overload does
  override query(...args: any[]): any {
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((r: pg.QueryResult) => {
      for (const f of r.fields ?? []) if (f.dataTypeID === PG_CHAR) f.dataTypeID = PG_TEXT;
      return r;
    });
  }
}

/**
 * A throw-away database on the server of `url`, dropped on dispose. (@prisma/adapter-pg
 * has its own, but it keeps the URL's database when given a connection string, so its
 * "shadow" database is the real one.)
 */
async function temporaryDatabase(url: string, connect: (url: string) => Promise<SqlDriverAdapter>): Promise<SqlDriverAdapter> {
  const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replace(/-/g, '')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end().catch(logFailure(log, 'warn', 'closing an admin connection to PostgreSQL'));
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const shadowUrl = new URL(url);
  shadowUrl.pathname = `/${name}`;
  const conn = await connect(shadowUrl.toString());
  return new Proxy(conn, {
    get: (target, prop) => {
      if (prop === 'dispose')
        return async () => {
          await target.dispose();
          await admin(`DROP DATABASE IF EXISTS "${name}"`);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
