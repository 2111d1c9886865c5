import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresImage, postgresImageAvailable } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { until } from './backup-helpers.js';
import { useAgent } from './use-agent.js';
import { connectWs } from './ws-trpc-client.js';

// Database backups through exec against a real PostgreSQL 15 (the host's Debian binaries in
// a test image, packages/test-fixtures/src/postgres-image.ts): rows inserted, pg_dump by exec
// (the engine detected from the image), restored with psql into a fresh container, compared.

let agent: AgentHarness;
let registry: string;
let pg: string;
let op: ReturnType<typeof connectWs>;

useAgent({}, (f) => ({ agent, registry } = f));

beforeAll(async () => {
  op = connectWs(agent.port, agent.token('operate'));
  pg = await postgresImage(registry);
  const r = agent.cli(['pull', '-q', pg]);
  if (r.code !== 0) throw new Error(`pull ${pg}: ${r.stderr}`);
}, 180_000);
afterAll(() => op?.close());

const uniq = (p: string) => `${p}${randomBytes(3).toString('hex')}`;
const backupDir = () => join(agent.root, 'backups');

/** a PostgreSQL container with its data on a new volume, once it answers queries */
async function startPostgres(db: string): Promise<string> {
  const name = uniq('pg');
  const r = agent.cli(['run', '-d', '--name', name, '-e', `POSTGRES_DB=${db}`, '-v', `${uniq('pgdata')}:/var/lib/postgresql/data`, pg]);
  expect(r.code, r.stderr).toBe(0);
  await until(async () => psql(name, db, 'SELECT 1').code === 0, 60_000, `${name} to accept queries (${agent.cli(['logs', name]).stderr})`);
  return name;
}

function psql(container: string, db: string, sql: string) {
  return agent.cli(['exec', container, 'psql', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]);
}

const describePg = postgresImageAvailable() ? describe : describe.skip;

describePg('PostgreSQL backups by pg_dump through exec', () => {
  it('rows in, pg_dump out (engine detected), psql restore into a fresh container: the same rows', async () => {
    const src = await startPostgres('shop');
    const setup = [
      'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[], made timestamptz)',
      "INSERT INTO items (name, price, tags, made) SELECT 'item ' || g, g * 1.25, ARRAY['t' || (g % 3)], '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g",
      "INSERT INTO items (name, price) VALUES ('quote''s and ünïcode ✓', 0.01)",
      'CREATE INDEX items_name ON items (name)',
      'CREATE VIEW cheap AS SELECT name FROM items WHERE price < 10',
    ];
    for (const sql of setup) expect(psql(src, 'shop', sql).code).toBe(0);
    const name = uniq('pgplan');
    const plan = await op.client.backups.create.mutate({
      name,
      target: { kind: 'database', container: src, database: 'shop' },
      destination: { kind: 'local', path: backupDir() },
    });
    expect(plan.target).toMatchObject({ kind: 'database', engine: 'postgres' });
    const run = await op.client.backups.run.mutate({ name });
    expect(run, run.error ?? '').toMatchObject({ status: 'succeeded', kind: 'postgres' });
    expect(run.location).toMatch(/\.sql\.zst$/);
    expect(run.rawSize).toBeGreaterThan(20_000);

    const dst = await startPostgres('shop');
    expect(psql(dst, 'shop', 'SELECT count(*) FROM pg_tables WHERE tablename = $$items$$').stdout.trim()).toBe('0');
    expect(await op.client.backups.restore.mutate({ run: run.id, container: dst })).toEqual({ target: `${dst}/shop` });
    const query = 'SELECT id, name, price, tags, made FROM items ORDER BY id';
    const want = psql(src, 'shop', query).stdout;
    expect(want.split('\n').length).toBeGreaterThan(500);
    expect(psql(dst, 'shop', query).stdout).toBe(want);
    expect(psql(dst, 'shop', 'SELECT count(*) FROM cheap').stdout).toBe(psql(src, 'shop', 'SELECT count(*) FROM cheap').stdout);
    // restoring again over the restored database works: the dump drops what it recreates
    await op.client.backups.restore.mutate({ run: run.id, container: dst });
    expect(psql(dst, 'shop', 'SELECT count(*) FROM items').stdout.trim()).toBe('501');
  }, 240_000);

  it('without a database: pg_dumpall of the whole server, restored into a fresh server', async () => {
    const src = await startPostgres('one');
    expect(psql(src, 'postgres', 'CREATE DATABASE two').code).toBe(0);
    expect(psql(src, 'one', "CREATE TABLE a AS SELECT 'in one' AS v").code).toBe(0);
    expect(psql(src, 'two', "CREATE TABLE b AS SELECT 'in two' AS v").code).toBe(0);
    const name = uniq('pgall');
    await op.client.backups.create.mutate({ name, target: { kind: 'database', container: src }, destination: { kind: 'local', path: backupDir() } });
    const run = await op.client.backups.run.mutate({ name });
    expect(run, run.error ?? '').toMatchObject({ status: 'succeeded' });
    const dst = await startPostgres('postgres');
    await op.client.backups.restore.mutate({ run: run.id, container: dst });
    expect(psql(dst, 'one', 'SELECT v FROM a').stdout.trim()).toBe('in one');
    expect(psql(dst, 'two', 'SELECT v FROM b').stdout.trim()).toBe('in two');
  }, 240_000);

  it('a dump that fails (no such database) is a failed run with pg_dump’s error and leaves no archive', async () => {
    const src = await startPostgres('app');
    const name = uniq('pgbad');
    await op.client.backups.create.mutate({
      name,
      target: { kind: 'database', container: src, engine: 'postgres', database: 'missing' },
      destination: { kind: 'local', path: backupDir() },
    });
    const run = await op.client.backups.run.mutate({ name });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/pg_dump exited with 1: .*database "missing" does not exist/);
    expect(existsSync(join(backupDir(), name)) ? readdirSync(join(backupDir(), name)) : []).toEqual([]);
    // a stopped database is refused the same way, visibly
    agent.cli(['stop', '-t', '1', src]);
    const stopped = await op.client.backups.run.mutate({ name });
    expect(stopped).toMatchObject({ status: 'failed' });
    expect(stopped.error).toMatch(/is not running/);
  }, 120_000);
});
