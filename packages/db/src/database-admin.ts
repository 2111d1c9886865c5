/**
 * The schema engine's `cli` sub-commands (`can-connect-to-database`, `create-database`),
 * which the Prisma CLI runs before migrating, done with the same JS drivers the adapters use.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { providerOf, redactUrl } from './adapters.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'db' });

/** A failure the Prisma CLI understands: a Prisma error code and a one-line message. */
export class DatabaseAdminError extends Error {
  constructor(
    readonly errorCode: 'P1001' | 'P1003' | 'P1000' | 'P1010',
    message: string,
  ) {
    super(message);
  }
}

function sqlitePath(url: string): string {
  return url.slice('file:'.length).replace(/\?.*$/, '');
}

/** pg error codes → Prisma's: 3D000 no such database, 28xxx authentication, 42501 permission. */
function pgError(e: unknown, url: string): DatabaseAdminError {
  const err = e as { code?: string; message?: string };
  const where = redactUrl(url);
  if (err.code === '3D000') return new DatabaseAdminError('P1003', `Database does not exist at ${where}`);
  if (err.code?.startsWith('28')) return new DatabaseAdminError('P1000', `Authentication failed against ${where}: ${err.message}`);
  if (err.code === '42501') return new DatabaseAdminError('P1010', `Access denied on ${where}: ${err.message}`);
  return new DatabaseAdminError('P1001', `Can't reach database server at ${where}: ${err.message}`);
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return await fn(client);
  } catch (e) {
    throw pgError(e, url);
  } finally {
    await client.end().catch(logFailure(log, 'warn', 'closing an admin connection to PostgreSQL'));
  }
}

export async function canConnectToDatabase(url: string): Promise<void> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url);
    if (path !== ':memory:' && !existsSync(path)) throw new DatabaseAdminError('P1003', `Database ${path} does not exist`);
    return;
  }
  await withPg(url, (c) => c.query('SELECT 1'));
}

export async function createDatabase(url: string): Promise<void> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url);
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) writeFileSync(path, ''); // an empty file is a valid, empty SQLite database
    return;
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  await withPg(admin.toString(), (c) => c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`));
}
