import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js';
import { clientAdapterFor, providerOf } from './adapters.js';
import { applyMigrations } from './migrate.js';

export type { Provider } from './migrations.js';
export { applyMigrations } from './migrate.js';
export { InvalidDatabaseUrl } from './errors.js';

/** Both generated clients have the same model API; callers see one type. */
export type Db = SqliteClient;

export interface OpenDbOptions {
  /** DATABASE_URL; default: SQLite in the runtime root */
  url?: string;
  root?: string;
}

export function defaultDatabaseUrl(root = process.env.SKIFF_ROOT || '/var/lib/skiff'): string {
  return process.env.DATABASE_URL || `file:${join(root, 'skiff.db')}`;
}

/** Opens the database, applying pending migrations first (nothing to run by hand). */
export async function openDb(opts: OpenDbOptions = {}): Promise<{ db: Db; provider: 'sqlite' | 'postgresql'; applied: string[] }> {
  const url = opts.url ?? defaultDatabaseUrl(opts.root);
  const provider = providerOf(url);
  if (provider === 'sqlite') mkdirSync(dirname(url.slice('file:'.length)), { recursive: true });
  const applied = await applyMigrations(url);
  const adapter = clientAdapterFor(url);
  const db = (provider === 'sqlite' ? new SqliteClient({ adapter: adapter as never }) : new PostgresClient({ adapter: adapter as never })) as Db;
  return { db, provider, applied };
}
