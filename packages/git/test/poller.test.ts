import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteHead, SourcePoller } from '../src/index.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { makeRepo, type TestRepo } from './fixtures/git-repo.js';
import { type HttpGitServer, startHttpGitServer } from './fixtures/http-git-server.js';

/** SourcePoller against git http-backend: a push makes it fire once; errors back off; one request in flight per key. */
let root: string;
let repo: TestRepo;
let http: HttpGitServer;
const auth = { kind: 'token' as const, token: 'poll-token' };

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** the real remoteHead, counted, with the number running at once */
function counting() {
  const c = { calls: 0, running: 0, maxRunning: 0, at: [] as number[] };
  const fn: typeof remoteHead = async (o) => {
    c.calls++;
    c.at.push(Date.now());
    c.running++;
    c.maxRunning = Math.max(c.maxRunning, c.running);
    try {
      return await remoteHead(o);
    } finally {
      c.running--;
    }
  };
  return { c, fn };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-gitpoll-'));
  repo = await makeRepo(root);
  await repo.commit({ 'a.txt': '1' }, 'one');
  http = await startHttpGitServer(join(root, 'srv'), { username: 'x-access-token', password: 'poll-token' });
});

afterAll(async () => {
  await http?.close();
  await rm(root, { recursive: true, force: true });
});

describe('SourcePoller', () => {
  it('fires once per pushed commit, with one request in flight per key', async () => {
    const { c, fn } = counting();
    const poller = new SourcePoller({ intervalMs: 150, logger: new CaptureLogger(), remoteHead: fn });
    const fired: string[] = [];
    try {
      poller.watch('app-1', { url: `${http.url}/app.git`, branch: 'main', auth }, (commit) => fired.push(commit));
      await until(() => c.calls >= 2);
      expect(fired).toEqual([]);
      const pushed = await repo.commit({ 'a.txt': '2' }, 'two');
      await until(() => fired.length > 0);
      const seen = c.calls;
      await until(() => c.calls >= seen + 4);
      expect(fired).toEqual([pushed]);
      expect(c.maxRunning).toBe(1);
    } finally {
      poller.close();
    }
  });

  it('fires on the first poll when the deployed commit is already behind', async () => {
    const poller = new SourcePoller({ intervalMs: 150, logger: new CaptureLogger() });
    const fired: string[] = [];
    try {
      poller.watch('app-2', { url: `${http.url}/app.git`, branch: 'main', auth, commit: 'f'.repeat(40) }, (commit) => fired.push(commit));
      await until(() => fired.length > 0);
      expect(fired).toEqual([repo.git('rev-parse', 'HEAD').trim()]);
    } finally {
      poller.close();
    }
  });

  it('backs off while the remote fails, logs why, and stops for good on unwatch', async () => {
    const { c, fn } = counting();
    const log = new CaptureLogger();
    const poller = new SourcePoller({ intervalMs: 200, logger: log, remoteHead: fn });
    poller.watch('broken', { url: `${http.url}/missing.git`, branch: 'main', auth }, () => {});
    await until(() => c.calls >= 4);
    // waits double after each failure: 400, 800, 1600 ms (±20%) after the 1st..3rd calls; the
    // request's own time is in every gap, so compare differences, not ratios
    const gaps = c.at.slice(1).map((t, i) => t - c.at[i]!);
    expect(gaps[2]! - gaps[0]!).toBeGreaterThan(500);
    expect(log.text()).toContain('polling the git branch failed');
    poller.unwatch('broken');
    const calls = c.calls;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(c.calls).toBe(calls);
    poller.close();
    expect(() => poller.watch('x', { url: `${http.url}/app.git`, branch: 'main', auth }, () => {})).toThrow(/closed/);
  });
});
