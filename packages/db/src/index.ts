/**
 * @skiff/db: Skiff's own records (users, sessions, API tokens, audit, settings, registry
 * credentials) through Prisma 7, fully offline: the query compiler with driver adapters
 * at run time, the WebAssembly schema engine for migrations. See docs/database.md.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js';
import { clientAdapterFor, providerOf } from './adapters.js';
import { applyMigrations } from './migrate.js';
import { makeDbFilesPrivate } from './private-file.js';
import type { Provider } from './migrations.js';

export type { Provider } from './migrations.js';
export { applyMigrations } from './migrate.js';
export { providerOf, redactUrl } from './adapters.js';
export { InvalidDatabaseUrl, isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from './errors.js';
// Both generated clients have the same model API and enums; these come from one of them.
export { Role } from '../generated/sqlite/enums.js';
export type { ApiToken, App, AuditEntry, Deployment, Prisma, RegistryCredential, Session, Setting, User } from '../generated/sqlite/client.js';

/** The typed Prisma client, whichever database is behind it. */
export type Db = SqliteClient;

export interface OpenDbOptions {
  /** a database URL; default: DATABASE_URL, else SQLite in the runtime root */
  url?: string;
  /** the runtime root for the default SQLite file; default: SKIFF_ROOT, else /var/lib/skiff */
  root?: string;
}

export interface OpenedDb {
  db: Db;
  provider: Provider;
  /** the migrations this open applied (empty when the database was up to date) */
  applied: string[];
}

/** DATABASE_URL if set, else `file:<root>/skiff.db`. */
export function defaultDatabaseUrl(root = process.env.SKIFF_ROOT || '/var/lib/skiff'): string {
  return process.env.DATABASE_URL || `file:${join(root, 'skiff.db')}`;
}

/**
 * Opens the database, applying the committed migrations it lacks first (nothing to run
 * by hand, safe at every start). The caller owns the client: `await db.$disconnect()`.
 */
export async function openDb(opts: OpenDbOptions = {}): Promise<OpenedDb> {
  const url = opts.url ?? defaultDatabaseUrl(opts.root);
  const provider = providerOf(url);
  if (provider === 'sqlite') {
    const path = url.slice('file:'.length).replace(/\?.*$/, '');
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      makeDbFilesPrivate(path);
    }
  }
  const applied = await applyMigrations(url);
  const adapter = clientAdapterFor(url);
  // the two clients differ only in the SQL dialect they compile to
  const db = (provider === 'sqlite' ? new SqliteClient({ adapter: adapter as never }) : new PostgresClient({ adapter: adapter as never })) as unknown as Db;
  // WAL: readers (the CLI, `prisma migrate status`) never block the agent's writes
  if (provider === 'sqlite') await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  return { db, provider, applied };
}
