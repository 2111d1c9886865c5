import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { InvalidDatabaseUrl } from './errors.js';
import type { Provider } from './migrations.js';

/** `file:…` (SQLite, the embedded default) or `postgres(ql)://…` (PostgreSQL). */
export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new InvalidDatabaseUrl(`unsupported DATABASE_URL "${url.replace(/\/\/[^@]*@/, '//***@')}": use file:/path/to.db or postgresql://user:pass@host/db`);
}

export function adapterFor(url: string) {
  return providerOf(url) === 'sqlite' ? new PrismaBetterSqlite3({ url }) : new PrismaPg({ connectionString: url });
}
