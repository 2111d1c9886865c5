import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { InvalidDatabaseUrl } from './errors.js';
import type { Provider } from './migrations.js';

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
 * The driver adapter for a URL: better-sqlite3 or pg, both plain npm packages, so
 * neither the client nor the schema engine needs a downloaded binary. The shadow
 * database (only used when creating migrations) defaults to an in-memory SQLite or a
 * temporary database on the same PostgreSQL server.
 */
export function adapterFor(url: string, shadowDatabaseUrl?: string): SqlMigrationAwareDriverAdapterFactory {
  if (providerOf(url) === 'sqlite') return new PrismaBetterSqlite3({ url }, shadowDatabaseUrl ? { shadowDatabaseUrl } : undefined);
  const factory = new PrismaPg({ connectionString: url });
  if (!shadowDatabaseUrl) return factory;
  const shadow = new PrismaPg({ connectionString: shadowDatabaseUrl });
  return { provider: factory.provider, adapterName: factory.adapterName, connect: () => factory.connect(), connectToShadowDb: () => shadow.connect() };
}
