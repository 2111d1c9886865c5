import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLog } from '../src/daemon/log-file.js';
import { parseDaemonOptions } from '../src/daemon/options.js';
import { SKIFF } from './agent-harness.js';
import { PrivateAgent } from './private-agent.js';

/** `skiff daemon --log-file`: the agent's own log, rotated by size, root's alone. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-log-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (p: string) => statSync(p).mode & 0o777;
const line = (i: number) => Buffer.from(`line ${String(i).padStart(5, '0')} ${'x'.repeat(40)}\n`);

describe('RotatingLog', () => {
  it('rotates by size into PATH.1 … keeping maxFiles files in all, whole lines, every file 0600', async () => {
    const path = join(await tempDir(), 'a.log');
    const log = new RotatingLog({ path, maxSize: 1000, maxFiles: 3 });
    for (let i = 0; i < 200; i++) log.write(line(i));
    log.close();
    expect(existsSync(`${path}.3`)).toBe(false);
    const files = [`${path}.2`, `${path}.1`, path];
    const lines = files.flatMap((f) => {
      expect(mode(f), f).toBe(0o600);
      const text = readFileSync(f, 'utf8');
      expect(text.length, f).toBeLessThanOrEqual(1000);
      expect(text.endsWith('\n'), f).toBe(true);
      return text.trimEnd().split('\n');
    });
    // oldest first, no gap, ending with the last line written
    const nums = lines.map((l) => Number(/^line (\d+) /.exec(l)![1]));
    expect(nums.at(-1)).toBe(199);
    expect(nums).toEqual(nums.map((_, k) => nums[0]! + k));
  });

  it('with maxFiles 1 starts the one file over', async () => {
    const path = join(await tempDir(), 'a.log');
    const log = new RotatingLog({ path, maxSize: 500, maxFiles: 1 });
    for (let i = 0; i < 50; i++) log.write(line(i));
    log.close();
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(statSync(path).size).toBeLessThanOrEqual(500);
    expect(readFileSync(path, 'utf8')).toContain('line 00049');
  });

  it('tightens an existing 0644 log, and refuses a symlink planted at the path', async () => {
    const dir = await tempDir();
    const path = join(dir, 'a.log');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o644);
    new RotatingLog({ path, maxSize: 1000, maxFiles: 2 }).close();
    expect(mode(path)).toBe(0o600);
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.log'));
    expect(() => new RotatingLog({ path: join(dir, 'link.log'), maxSize: 1000, maxFiles: 2 })).toThrow(/ELOOP/);
  });

  it('starts a new file when the log was moved away (logrotate, an operator), without a signal', async () => {
    const path = join(await tempDir(), 'a.log');
    const log = new RotatingLog({ path, maxSize: 1_000_000, maxFiles: 2 });
    log.write(line(1));
    renameSync(path, `${path}.moved`);
    await new Promise((r) => setTimeout(r, 1100));
    log.write(line(2));
    log.close();
    expect(readFileSync(`${path}.moved`, 'utf8')).toBe(line(1).toString());
    expect(readFileSync(path, 'utf8')).toBe(line(2).toString());
    expect(mode(path)).toBe(0o600);
  });
});

describe('skiff daemon --log-file options', () => {
  it('defaults to 10 MiB x 5, takes flags and SKIFF_LOG_*, and refuses nonsense', () => {
    expect(parseDaemonOptions([], {}).logFile).toBeUndefined();
    expect(parseDaemonOptions(['--log-file', '/var/log/s.log'], {}).logFile).toEqual({ path: '/var/log/s.log', maxSize: 10 * 1024 * 1024, maxFiles: 5 });
    expect(parseDaemonOptions(['--log-file=/l', '--log-max-size', '64k', '--log-max-files', '2'], {}).logFile).toEqual({
      path: '/l',
      maxSize: 65536,
      maxFiles: 2,
    });
    expect(parseDaemonOptions([], { SKIFF_LOG_FILE: '/l', SKIFF_LOG_MAX_SIZE: '1m' }).logFile).toEqual({ path: '/l', maxSize: 1024 * 1024, maxFiles: 5 });
    expect(parseDaemonOptions(['--log-file', 'off'], { SKIFF_LOG_FILE: '/l' }).logFile).toBeUndefined();
    expect(() => parseDaemonOptions(['--log-file', 'rel.log'], {})).toThrow(/absolute/);
    expect(() => parseDaemonOptions(['--log-file', '/l', '--log-max-size', 'lots'], {})).toThrow(/--log-max-size/);
    expect(() => parseDaemonOptions(['--log-file', '/l', '--log-max-files', '0'], {})).toThrow(/--log-max-files/);
  });
});

describe('a real agent with --log-file', () => {
  it('writes its lines to the file and rotates it by size as it writes', async () => {
    const agent = await PrivateAgent.create();
    cleanups.push(() => agent.dispose());
    // stray container cgroups: the agent reports each at start, one line apiece (~150 bytes)
    const strays = Array.from({ length: 150 }, () => randomBytes(32).toString('hex'));
    for (const id of strays) mkdirSync(join('/sys/fs/cgroup/pids', agent.cgroupParent, id), { recursive: true });
    const log = join(agent.dir, 'agent.log');
    const daemon = spawn(SKIFF, ['daemon', '--log-file', log, '--log-max-size', '4k', '--log-max-files', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: agent.env,
    });
    let direct = '';
    daemon.stdout.on('data', (d: Buffer) => (direct += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (direct += d.toString()));
    await agent.waitReady();
    await new Promise((r) => setTimeout(r, 300)); // the ready line comes right after the listeners

    expect(existsSync(`${log}.3`)).toBe(false);
    const texts = [`${log}.2`, `${log}.1`, log].map((f) => {
      expect(lstatSync(f).isFile(), f).toBe(true);
      expect(mode(f), f).toBe(0o600);
      expect(statSync(f).size, f).toBeLessThanOrEqual(4096);
      const t = readFileSync(f, 'utf8');
      expect(t.endsWith('\n'), f).toBe(true);
      return t;
    });
    const all = texts.join('');
    expect(all).toMatch(/setup\?token=/); // no admin password: the one-time link is in the log
    expect(texts[2]).toContain('skiff agent ready on');
    // the oldest reports were rotated out; the kept ones are whole lines
    const reported = all.split('\n').filter((l) => l.includes('found cgroup'));
    expect(reported.length).toBeGreaterThan(5);
    expect(reported.length).toBeLessThan(strays.length);
    // each a JSON line of the logger, whole (a rotation never splits one)
    for (const l of reported)
      expect(JSON.parse(l)).toMatchObject({
        level: 'warn',
        component: 'host',
        msg: expect.stringMatching(/^found cgroup \S+\/[0-9a-f]{64}: no container of this root/),
      });
    // nothing went to the agent's own stdout and stderr
    expect(direct).toBe('');
  }, 90_000);
});
