import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { snapshot, until } from './backup-helpers.js';
import { useAgent } from './use-agent.js';
import { connectWs } from './ws-trpc-client.js';

// Backups of volumes to a local directory, end to end through a real agent: runs logged with
// size and duration, a restore round trip that is byte-identical (owners, modes, symlinks),
// retention, a schedule firing, runs that never overlap, failures that show.

let agent: AgentHarness;
let image: string;
let op: ReturnType<typeof connectWs>;
let admin: ReturnType<typeof connectWs>;
let viewer: ReturnType<typeof connectWs>;
let outside: string;

useAgent({ pull: true }, (f) => ({ agent, image } = f));

beforeAll(() => {
  op = connectWs(agent.port, agent.token('operate'));
  admin = connectWs(agent.port, agent.token('admin'));
  viewer = connectWs(agent.port, agent.token('read'));
  outside = mkdtempSync(join(tmpdir(), 'skiff-backups-'));
});
afterAll(() => {
  for (const c of [op, admin, viewer]) c?.close();
  rmSync(outside, { recursive: true, force: true });
});

const uniq = (p: string) => `${p}${randomBytes(3).toString('hex')}`;
const volDir = (name: string) => join(agent.root, 'volumes', name, '_data');
const backupDir = () => join(agent.root, 'backups');
const cli = (args: string[]) => agent.cli(args);

/** a volume filled by a container: nested files, owners, modes, symlinks (absolute, relative, dangling), an empty dir */
function filledVolume(): string {
  const v = uniq('data');
  const script = [
    'mkdir -p /v/a/b /v/empty',
    'head -c 700000 /dev/urandom > /v/a/b/random.bin',
    'echo hello > /v/hello.txt',
    'chown 1000:1000 /v/hello.txt && chmod 640 /v/hello.txt',
    'chmod 4755 /v/a/b/random.bin',
    'chown 1000:50 /v/a && chmod 750 /v/a',
    'ln -s /etc/passwd /v/abs-link',
    'ln -s ../hello.txt /v/a/rel-link',
    'ln -s /nowhere /v/dangling',
    'chmod 711 /v',
  ].join(' && ');
  const r = cli(['run', '--rm', '-v', `${v}:/v`, image, 'sh', '-c', script]);
  expect(r.code, r.stderr).toBe(0);
  return v;
}

describe('volume backups to a local directory', () => {
  it('a run is logged with size, duration and digest; a restore into a new volume is byte-identical', async () => {
    const v = filledVolume();
    const name = uniq('plan');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: { kind: 'local', path: backupDir() } });
    const run = await op.client.backups.run.mutate({ name });
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', kind: 'volume', compression: 'zstd', error: null });
    expect(run.size).toBeGreaterThan(700_000 * 0.9); // random bytes do not compress
    expect(run.rawSize).toBeGreaterThan(run.size! * 0.9);
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.location).toMatch(new RegExp(`^${name}/${name}-\\d{8}T\\d{6}Z-${run.id}\\.tar\\.zst$`));
    expect(existsSync(join(backupDir(), run.location!))).toBe(true);

    const restored = uniq('restored');
    expect(await op.client.backups.restore.mutate({ run: run.id, newVolume: restored })).toEqual({ target: restored });
    expect(snapshot(volDir(restored))).toEqual(snapshot(volDir(v)));
    // a new volume that exists already is refused
    await expect(op.client.backups.restore.mutate({ run: run.id, newVolume: restored })).rejects.toThrow(/already exists/);
  }, 120_000);

  it('gzip works too; restoring into the existing volume replaces its content', async () => {
    const v = filledVolume();
    const before = snapshot(volDir(v));
    const name = uniq('gz');
    await op.client.backups.create.mutate({
      name,
      target: { kind: 'volume', volume: v },
      destination: { kind: 'local', path: backupDir() },
      compression: 'gzip',
    });
    const run = await op.client.backups.run.mutate({ name });
    expect(run.location).toMatch(/\.tar\.gz$/);
    writeFileSync(join(volDir(v), 'added-later'), 'x');
    rmSync(join(volDir(v), 'hello.txt'));
    await op.client.backups.restore.mutate({ run: run.id });
    expect(snapshot(volDir(v))).toEqual(before);
  }, 120_000);

  it('a volume a running container uses: refused, then done with stop (the container runs again after) or force', async () => {
    const v = filledVolume();
    const name = uniq('inuse');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: { kind: 'local', path: backupDir() } });
    const run = await op.client.backups.run.mutate({ name });
    const ctr = uniq('user');
    expect(cli(['run', '-d', '--name', ctr, '-v', `${v}:/v`, image, 'sleep', '300']).code).toBe(0);
    await expect(op.client.backups.restore.mutate({ run: run.id })).rejects.toThrow(/in use by running containers/);
    writeFileSync(join(volDir(v), 'scratch'), 'x');
    await op.client.backups.restore.mutate({ run: run.id, stop: true });
    expect(existsSync(join(volDir(v), 'scratch'))).toBe(false);
    expect(cli(['inspect', '-f', '{{.State.Running}}', ctr]).stdout.trim()).toBe('true');
    writeFileSync(join(volDir(v), 'scratch'), 'x');
    await op.client.backups.restore.mutate({ run: run.id, force: true });
    expect(existsSync(join(volDir(v), 'scratch'))).toBe(false);
    cli(['rm', '-f', ctr]);
  }, 120_000);

  it('pause: the running users are paused while the volume is read, and running again after', async () => {
    const v = filledVolume();
    const ctr = uniq('paused');
    expect(cli(['run', '-d', '--name', ctr, '-v', `${v}:/v`, image, 'sleep', '300']).code).toBe(0);
    const name = uniq('pause');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v, pause: true }, destination: { kind: 'local', path: backupDir() } });
    const events = agent.cliAsync(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 20), '--filter', `container=${ctr}`]);
    expect((await op.client.backups.run.mutate({ name })).status).toBe('succeeded');
    expect(cli(['inspect', '-f', '{{.State.Status}}', ctr]).stdout.trim()).toBe('running');
    const log = (await events).stdout;
    expect(log).toMatch(/container pause/);
    expect(log).toMatch(/container unpause/);
    cli(['rm', '-f', ctr]);
  }, 120_000);

  it('hooks run in a container before and after; a failing pre-hook fails the run, visibly', async () => {
    const v = filledVolume();
    const ctr = uniq('app');
    expect(cli(['run', '-d', '--name', ctr, '-v', `${v}:/v`, image, 'sleep', '300']).code).toBe(0);
    const name = uniq('hook');
    await op.client.backups.create.mutate({
      name,
      target: {
        kind: 'volume',
        volume: v,
        hook: { container: ctr, pre: ['sh', '-c', 'echo flushed > /v/flushed'], post: ['sh', '-c', 'rm /v/flushed; touch /v/post-ran'] },
      },
      destination: { kind: 'local', path: backupDir() },
    });
    const ok = await op.client.backups.run.mutate({ name });
    expect(ok.status).toBe('succeeded');
    expect(existsSync(join(volDir(v), 'post-ran'))).toBe(true);
    // the archive has what the pre-hook wrote
    const restored = uniq('hooked');
    await op.client.backups.restore.mutate({ run: ok.id, newVolume: restored });
    expect(existsSync(join(volDir(restored), 'flushed'))).toBe(true);

    await op.client.backups.update.mutate({
      name,
      target: { kind: 'volume', volume: v, hook: { container: ctr, pre: ['sh', '-c', 'echo cannot lock >&2; exit 3'] } },
    });
    const bad = await op.client.backups.run.mutate({ name });
    expect(bad).toMatchObject({ status: 'failed', location: null });
    expect(bad.error).toMatch(/pre-hook .* exited with 3: cannot lock/);
    const listed = (await viewer.client.backups.list.query()).find((p) => p.name === name)!;
    expect(listed.lastRun).toMatchObject({ id: bad.id, status: 'failed' });
    expect(cli(['backup', 'runs', name]).stdout).toMatch(/failed .*exited with 3: cannot lock/);
    cli(['rm', '-f', ctr]);
  }, 120_000);

  it('retention keeps the newest N: older archives and their rows go', async () => {
    const v = filledVolume();
    const name = uniq('keep');
    await op.client.backups.create.mutate({
      name,
      target: { kind: 'volume', volume: v },
      destination: { kind: 'local', path: backupDir() },
      retention: { keepLast: 2 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await op.client.backups.run.mutate({ name })).id);
    const runs = await viewer.client.backups.runs.query({ name });
    expect(runs.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect(readdirSync(join(backupDir(), name)).sort()).toEqual(runs.map((r) => r.location!.split('/')[1]).sort());
  }, 120_000);

  it('a schedule fires (trigger schedule), and a run never overlaps another of its plan', async () => {
    const v = filledVolume();
    const name = uniq('cron');
    await op.client.backups.create.mutate({
      name,
      target: { kind: 'volume', volume: v },
      destination: { kind: 'local', path: backupDir() },
      schedule: '*/2 * * * * *',
    });
    expect((await viewer.client.backups.get.query({ name })).nextRun).not.toBeNull();
    const fired = await until(
      async () => (await viewer.client.backups.runs.query({ name })).find((r) => r.trigger === 'schedule' && r.status === 'succeeded'),
      20_000,
      'a scheduled run',
    );
    expect(fired.size).toBeGreaterThan(0);
    // stop the schedule, then: a run in progress refuses a second one
    await op.client.backups.update.mutate({ name, schedule: null });
    await until(async () => !(await viewer.client.backups.get.query({ name })).running, 20_000, 'the scheduled run to end');
    const first = await op.client.backups.run.mutate({ name, wait: false });
    expect(first.status).toBe('running');
    await expect(op.client.backups.run.mutate({ name })).rejects.toThrow(/already running/);
    await until(async () => (await viewer.client.backups.runs.query({ name })).find((r) => r.id === first.id && r.status === 'succeeded'), 30_000, 'the run');
    // runs of one plan never overlapped: each started after the previous one finished
    const all = (await viewer.client.backups.runs.query({ name })).reverse();
    for (let i = 1; i < all.length; i++) expect(new Date(all[i]!.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(all[i - 1]!.finishedAt!).getTime());
  }, 120_000);

  it('a destination that cannot be written fails the run with its error; nothing is left behind', async () => {
    const v = filledVolume();
    const name = uniq('broken');
    const file = join(outside, 'not-a-directory');
    writeFileSync(file, 'x');
    await admin.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: { kind: 'local', path: file } });
    const run = await admin.client.backups.run.mutate({ name });
    expect(run).toMatchObject({ status: 'failed', size: null, location: null });
    expect(run.error).toMatch(/ENOTDIR|EEXIST|not a directory/i);
    // the CLI says so and exits 1
    const r = cli(['backup', 'run', name]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed: /);
  }, 60_000);
});

describe('the local directory as an attack surface', () => {
  it('a plan directory replaced by a symlink is not followed: the run fails, nothing lands where it points', async () => {
    const v = filledVolume();
    const name = uniq('symdir');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: { kind: 'local', path: backupDir() } });
    const first = await op.client.backups.run.mutate({ name });
    expect(first.status).toBe('succeeded');
    // whoever can write the backup directory swaps the plan's directory for a symlink elsewhere
    rmSync(join(backupDir(), name), { recursive: true });
    symlinkSync(outside, join(backupDir(), name));
    const run = await op.client.backups.run.mutate({ name });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/ELOOP|ENOTDIR/);
    expect(readdirSync(outside).filter((f) => f.startsWith(name))).toEqual([]);
    // nor is an archive read through it
    await expect(op.client.backups.restore.mutate({ run: first.id, newVolume: uniq('viasym') })).rejects.toThrow(/ELOOP|ENOTDIR|not in/);
  }, 60_000);
});

describe('who may do what', () => {
  it('viewers read plans and runs but change nothing; a directory outside <root>/backups is the admin’s', async () => {
    const v = filledVolume();
    const name = uniq('roles');
    const plan = { name, target: { kind: 'volume' as const, volume: v }, destination: { kind: 'local' as const, path: outside } };
    await expect(viewer.client.backups.create.mutate(plan)).rejects.toThrow(/operator role/);
    await expect(op.client.backups.create.mutate(plan)).rejects.toThrow(/host access: it needs the admin role/);
    await expect(op.client.backups.create.mutate({ ...plan, destination: { kind: 'local', path: `${backupDir()}/../escape` } })).rejects.toThrow(/admin role/);
    await admin.client.backups.create.mutate(plan);
    // an operator cannot repoint, remove or delete runs of the admin's plan either
    await expect(op.client.backups.update.mutate({ name, destination: { kind: 'local', path: backupDir() } })).rejects.toThrow(/admin role/);
    await expect(op.client.backups.remove.mutate({ name })).rejects.toThrow(/admin role/);
    expect((await viewer.client.backups.list.query()).some((p) => p.name === name)).toBe(true);
    await expect(viewer.client.backups.run.mutate({ name })).rejects.toThrow(/operator role/);
    await admin.client.backups.remove.mutate({ name, purge: true });
  }, 60_000);
});

describe('skiff backup', () => {
  it('create, ls, run, runs, restore, rm', async () => {
    const v = filledVolume();
    const name = uniq('cli');
    expect(cli(['backup', 'create', name, '--volume', v, '--dir', backupDir(), '--keep-last', '3', '--schedule', '0 3 * * *'])).toMatchObject({
      code: 0,
      stdout: `${name}\n`,
    });
    expect(cli(['backup', 'ls']).stdout).toMatch(new RegExp(`${name}\\s+volume ${v}\\s+${backupDir()}\\s+0 3 \\* \\* \\*`));
    const run = cli(['backup', 'run', name]);
    expect(run.code, run.stderr).toBe(0);
    const id = /^(\S+) succeeded: \S+ in \d+\.\ds$/.exec(run.stdout.trim())?.[1];
    expect(id).toBeTruthy();
    expect(cli(['backup', 'runs', '-q', name]).stdout).toBe(`${id}\n`);
    const target = uniq('clirestore');
    expect(cli(['backup', 'restore', id!, '--new-volume', target])).toMatchObject({ code: 0, stdout: `restored into ${target}\n` });
    expect(snapshot(volDir(target))).toEqual(snapshot(volDir(v)));
    expect(cli(['backup', 'rm', '--run', id!])).toMatchObject({ code: 0 });
    expect(existsSync(join(backupDir(), name))).toBe(true);
    expect(readdirSync(join(backupDir(), name))).toEqual([]);
    expect(cli(['backup', 'rm', name])).toMatchObject({ code: 0, stdout: `${name}\n` });
    expect(cli(['backup', 'ls', '-q']).stdout).not.toContain(name);
    expect(cli(['backup', 'create', '--help']).stdout).toContain('--s3-endpoint url');
  }, 120_000);
});

describe('an agent that stops during a run', () => {
  it('leaves the run failed, with why, after its restart; nothing else is changed', async () => {
    const v = uniq('slow');
    // enough bytes that the run is still going when the agent is killed
    expect(cli(['run', '--rm', '-v', `${v}:/v`, image, 'sh', '-c', 'head -c 300000000 /dev/urandom > /v/big']).code).toBe(0);
    const name = uniq('killed');
    await op.client.backups.create.mutate({ name, target: { kind: 'volume', volume: v }, destination: { kind: 'local', path: backupDir() } });
    const run = await op.client.backups.run.mutate({ name, wait: false });
    expect(run.status).toBe('running');
    await agent.kill();
    await agent.start();
    for (const c of [op, admin, viewer]) c.close();
    op = connectWs(agent.port, agent.token('operate'));
    const after = (await op.client.backups.runs.query({ name })).find((r) => r.id === run.id)!;
    expect(after).toMatchObject({ status: 'failed', error: 'the agent stopped during this run' });
    expect((await op.client.backups.run.mutate({ name })).status).toBe('succeeded');
  }, 180_000);
});
