import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  url: string;
  /** stops and removes it; for startPostgres() this completes synchronously */
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const out = spawnSync('sh', ['-c', `ls -d /usr/lib/postgresql/*/bin/${name} 2>/dev/null | sort -V | tail -1`], { encoding: 'utf8' }).stdout.trim();
  if (!out) throw new Error(`PostgreSQL server binaries not found (${name}); install Debian's postgresql`);
  return out;
}

export function postgresInstalled(): boolean {
  try {
    pgBin('initdb');
    return true;
  } catch {
    return false;
  }
}

/** @deprecated the old name of postgresInstalled (apps/agent's tests use it) */
export const postgresAvailable = postgresInstalled;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A throw-away PostgreSQL cluster on 127.0.0.1 (Debian's server binaries, run as the
 * postgres user), trust auth, removed by stop().
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pg-'));
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, id('-u'), id('-g'));
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      asPostgres(pgBin('pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* not running */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  try {
    asPostgres(pgBin('initdb'), ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '--no-sync']);
    asPostgres(pgBin('pg_ctl'), [
      '-D',
      join(dir, 'data'),
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  } catch (e) {
    stopSync();
    throw e;
  }
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop: async () => stopSync() };
}

/**
 * A fresh, empty database on an existing server (SKIFF_TEST_PG_URL in CI), dropped by
 * stop(), so that runs never see each other's data. Needs the CREATEDB privilege.
 */
export async function freshDatabaseOn(serverUrl: string): Promise<TestPostgres> {
  const name = `skiff_test_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), stop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The PostgreSQL the tests use: a fresh database on SKIFF_TEST_PG_URL if set, else a
 * throw-away cluster if Debian's postgresql is installed, else none (tests skipped).
 */
export function testPostgres(): (() => Promise<TestPostgres>) | undefined {
  if (process.env.SKIFF_TEST_PG_URL) return () => freshDatabaseOn(process.env.SKIFF_TEST_PG_URL!);
  if (postgresInstalled()) return startPostgres;
  return undefined;
}
