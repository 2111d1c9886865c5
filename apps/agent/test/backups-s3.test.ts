import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { snapshot } from './backup-helpers.js';
import { useAgent } from './use-agent.js';
import { connectWs } from './ws-trpc-client.js';

// Backups to an S3-compatible store: s3rver (npm) on loopback as the bucket; the agent talks
// to it with the minio client. Archives large enough for a multipart upload, retention of
// objects, a secret that is stored sealed and never shown, refused credentials that fail a
// run visibly, a tampered object that is refused. (s3rver checks access key ids but not
// SigV4 signatures, so refused credentials are shown with a wrong key id.)

let agent: AgentHarness;
let image: string;
let op: ReturnType<typeof connectWs>;
let viewer: ReturnType<typeof connectWs>;
let s3: S3rver;
let s3dir: string;
let endpoint: string;
let bucket: Client;
const BUCKET = 'skiff-backups';
const KEY = 'S3RVER'; // s3rver's built-in credentials

useAgent({ pull: true }, (f) => ({ agent, image } = f));

beforeAll(async () => {
  op = connectWs(agent.port, agent.token('operate'));
  viewer = connectWs(agent.port, agent.token('read'));
  s3dir = mkdtempSync(join(tmpdir(), 'skiff-s3rver-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  bucket = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: KEY, secretKey: KEY, region: 'us-east-1', pathStyle: true });
}, 60_000);
afterAll(async () => {
  for (const c of [op, viewer]) c?.close();
  await s3?.close();
  rmSync(s3dir, { recursive: true, force: true });
});

const uniq = (p: string) => `${p}${randomBytes(3).toString('hex')}`;
const volDir = (name: string) => join(agent.root, 'volumes', name, '_data');

async function objects(prefix: string): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for await (const o of bucket.listObjectsV2(BUCKET, prefix, true) as AsyncIterable<{ name: string; size: number }>) out.push({ name: o.name, size: o.size });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function volumeWith(mb: number): string {
  const v = uniq('s3vol');
  const r = agent.cli([
    'run',
    '--rm',
    '-v',
    `${v}:/v`,
    image,
    'sh',
    '-c',
    `mkdir -p /v/d && head -c ${mb * 1024 * 1024} /dev/urandom > /v/d/blob && ln -s d/blob /v/link && chown -R 7:7 /v/d`,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return v;
}

const s3dest = (prefix: string, secretKey = KEY, accessKey = KEY) => ({ kind: 's3' as const, endpoint, bucket: BUCKET, prefix, accessKey, secretKey });

describe('backups to S3 (s3rver)', () => {
  it('a multipart-sized archive goes up under prefix/plan/, comes back byte-identical, and retention removes objects', async () => {
    const v = volumeWith(40); // 40 MiB of random bytes: three 16 MiB parts
    const name = uniq('s3plan');
    const prefix = `team/${name}`;
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: s3dest(prefix), retention: { keepLast: 1 } });
    const run = await op.client.backups.run.mutate({ name });
    expect(run, run.error ?? '').toMatchObject({ status: 'succeeded' });
    expect(await objects(`${prefix}/`)).toEqual([{ name: `${prefix}/${run.location}`, size: run.size }]);

    const restored = uniq('s3back');
    await op.client.backups.restore.mutate({ run: run.id, newVolume: restored });
    expect(snapshot(volDir(restored))).toEqual(snapshot(volDir(v)));

    // a second run: retention (keep 1) removes the first object and its row
    const second = await op.client.backups.run.mutate({ name });
    expect(second.status).toBe('succeeded');
    expect((await objects(`${prefix}/`)).map((o) => o.name)).toEqual([`${prefix}/${second.location}`]);
    expect((await viewer.client.backups.runs.query({ name })).map((r) => r.id)).toEqual([second.id]);
  }, 180_000);

  it('the secret is sealed at rest and never shown; refused credentials fail the run visibly', async () => {
    const v = volumeWith(1);
    const name = uniq('s3secret');
    const secret = `sekrit-${randomBytes(8).toString('hex')}`;
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: s3dest('x', secret, 'NOT-A-KEY') });
    const shown = JSON.stringify([await viewer.client.backups.get.query({ name }), await viewer.client.backups.list.query()]);
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain('secretEncrypted');
    for (const f of ['skiff.db', 'skiff.db-wal']) {
      const path = join(agent.root, f);
      if (existsSync(path)) expect(readFileSync(path).includes(Buffer.from(secret)), f).toBe(false);
    }
    const run = await op.client.backups.run.mutate({ name });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/Access Key Id you provided does not exist/);
    expect(await objects('x/')).toEqual([]);
    // the right credentials (a new destination replaces the old one whole) make it work
    await op.client.backups.update.mutate({ name, destination: s3dest('x') });
    expect((await op.client.backups.run.mutate({ name })).status).toBe('succeeded');
  }, 60_000);

  it('an object changed in the bucket is refused at restore (sha256), and nothing is written', async () => {
    const v = volumeWith(1);
    const name = uniq('s3tamper');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: s3dest('t') });
    const run = await op.client.backups.run.mutate({ name });
    // whoever can write the bucket replaces the archive
    await bucket.putObject(BUCKET, `t/${run.location}`, randomBytes(4096));
    const target = uniq('s3tampered');
    await expect(op.client.backups.restore.mutate({ run: run.id, newVolume: target })).rejects.toThrow(/sha256 differs/);
    expect(agent.cli(['volume', 'ls', '-q']).stdout).not.toContain(target);
    await op.client.backups.remove.mutate({ name, purge: true });
    expect(await objects('t/')).toEqual([]);
  }, 60_000);
});
