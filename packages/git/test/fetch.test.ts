import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, GitError, remoteHead } from '../src/index.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { type Daemon, startGitDaemon } from './fixtures/daemons.js';
import { makeRepo, type TestRepo } from './fixtures/git-repo.js';
import { filesContaining } from './fixtures/grep.js';
import { type HttpGitServer, startHttpGitServer } from './fixtures/http-git-server.js';

/** fetchSource and remoteHead against Debian's git http-backend (basic auth) and git daemon on 127.0.0.1 */
let root: string;
let repo: TestRepo;
let http: HttpGitServer;
let daemon: Daemon;
let first: string;
let second: string;
const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const token = { kind: 'token' as const, token: TOKEN, username: 'deployer' };
let n = 0;
let tmpBefore: Set<string>;
const dest = () => join(root, 'out', `checkout-${++n}`);
const httpUrl = () => `${http.url}/app.git`;

async function expectGitError(p: Promise<unknown>, code: string): Promise<GitError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GitError);
  expect((e as GitError).code).toBe(code);
  return e as GitError;
}

beforeAll(async () => {
  tmpBefore = new Set(await readdir(tmpdir()));
  root = await mkdtemp(join(tmpdir(), 'skiff-gittest-'));
  repo = await makeRepo(root);
  first = await repo.commit(
    { Dockerfile: 'FROM scratch\n', 'app/index.txt': 'v1\n', escape: { symlink: '/etc/shadow' }, up: { symlink: '/' } },
    'first version\n\nwith a body',
  );
  second = await repo.commit({ 'app/index.txt': 'v2\n' }, 'second version');
  await repo.commit({ 'other.txt': 'on a branch\n' }, 'branch commit', 'feature/x');
  http = await startHttpGitServer(join(root, 'srv'), { username: 'deployer', password: TOKEN });
  daemon = await startGitDaemon(join(root, 'srv'));
});

afterAll(async () => {
  await http?.close();
  await daemon?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('fetchSource over smart HTTP with a token', () => {
  it('checks out the branch head shallow, without .git, and the token goes only in the Authorization header', async () => {
    const log = new CaptureLogger();
    const d = dest();
    const before = http.authHeaders.length;
    const src = await fetchSource({ url: httpUrl(), branch: 'main', auth: token, dest: d, path: 'app', logger: log });
    expect(src).toMatchObject({ commit: second, message: 'second version', dir: d, contextDir: join(d, 'app') });
    expect(await readFile(join(src.contextDir, 'index.txt'), 'utf8')).toBe('v2\n');
    expect(existsSync(join(d, '.git'))).toBe(false);
    // a symlink in the repository stays a symlink: nothing of the host is read into the checkout
    expect((await lstat(join(d, 'escape'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(d, 'escape'))).toBe('/etc/shadow');
    const sent = http.authHeaders.slice(before).filter(Boolean);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([`Basic ${Buffer.from(`deployer:${TOKEN}`).toString('base64')}`]));
    expect(log.text()).not.toContain(TOKEN);
    expect(filesContaining(d, TOKEN)).toEqual([]);
  });

  it('refuses a wrong or missing token at once, without a prompt, and leaves no checkout', async () => {
    const d = dest();
    const e = await expectGitError(
      fetchSource({ url: httpUrl(), branch: 'main', auth: { kind: 'token', token: 'wrong-token' }, dest: d, logger: new CaptureLogger() }),
      'auth-failed',
    );
    expect(e.message).not.toContain('wrong-token');
    expect(existsSync(d)).toBe(false);
    await expectGitError(fetchSource({ url: httpUrl(), branch: 'main', auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger() }), 'auth-failed');
  });

  it('never sends the token to another host a redirect points at', async () => {
    const other = await startHttpGitServer(join(root, 'srv'), { username: 'deployer', password: 'other' }, '127.0.0.2');
    const { createServer } = await import('node:http');
    const redirector = createServer((req, res) => res.writeHead(301, { Location: `${other.url}${req.url}` }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const port = (redirector.address() as { port: number }).port;
      await expectGitError(
        fetchSource({ url: `http://127.0.0.1:${port}/app.git`, branch: 'main', auth: token, dest: dest(), logger: new CaptureLogger() }),
        'auth-failed',
      );
      expect(other.authHeaders.length).toBeGreaterThan(0);
      expect(other.authHeaders.filter(Boolean)).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      redirector.close();
      await other.close();
    }
  });

  it('reads the remote head of a branch for polling', async () => {
    expect(await remoteHead({ url: httpUrl(), branch: 'main', auth: token })).toBe(second);
    await expectGitError(remoteHead({ url: httpUrl(), branch: 'nope', auth: token }), 'not-found');
    // `main` must not match refs/heads/x/main: ls-remote patterns are suffixes
    await repo.commit({ 'x.txt': 'x' }, 'suffix trap', 'trap/main');
    expect(await remoteHead({ url: httpUrl(), branch: 'main', auth: token })).toBe(second);
  });
});

describe('fetchSource over git://', () => {
  it('fetches another branch, and an exact earlier commit for a rollback', async () => {
    const url = `git://127.0.0.1:${daemon.port}/app.git`;
    const b = await fetchSource({ url, branch: 'feature/x', auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger() });
    expect(await readFile(join(b.dir, 'other.txt'), 'utf8')).toBe('on a branch\n');
    const old = await fetchSource({ url, branch: 'main', commit: first, auth: { kind: 'none' }, dest: dest(), path: 'app', logger: new CaptureLogger() });
    expect(old.commit).toBe(first);
    expect(old.message).toBe('first version\n\nwith a body');
    expect(await readFile(join(old.contextDir, 'index.txt'), 'utf8')).toBe('v1\n');
    await expectGitError(
      fetchSource({ url, branch: 'main', commit: 'f'.repeat(40), auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger() }),
      'not-found',
    );
  });

  it('falls back to the branch history for an exact commit when the server refuses wants by id (protocol v0)', async () => {
    const v0 = await startHttpGitServer(join(root, 'srv'), undefined, '127.0.0.1', { protocolV0: true });
    try {
      const log = new CaptureLogger();
      const old = await fetchSource({ url: `${v0.url}/app.git`, branch: 'main', commit: first, auth: { kind: 'none' }, dest: dest(), logger: log });
      expect(old.commit).toBe(first);
      expect(log.text()).toContain('fetching the branch history');
      // a commit the server does not have fails after the fallback too
      await expectGitError(
        fetchSource({ url: `${v0.url}/app.git`, branch: 'main', commit: 'e'.repeat(40), auth: { kind: 'none' }, dest: dest(), logger: log }),
        'not-found',
      );
    } finally {
      await v0.close();
    }
  });

  it('refuses an existing destination', async () => {
    const d = dest();
    await fetchSource({ url: `git://127.0.0.1:${daemon.port}/app.git`, branch: 'main', auth: { kind: 'none' }, dest: d, logger: new CaptureLogger() });
    await expectGitError(
      fetchSource({ url: `git://127.0.0.1:${daemon.port}/app.git`, branch: 'main', auth: { kind: 'none' }, dest: d, logger: new CaptureLogger() }),
      'dest-exists',
    );
    expect(existsSync(join(d, 'Dockerfile'))).toBe(true);
  });
});

describe('the app path', () => {
  it('must be a real directory inside the checkout: symlinks (to / or anywhere), .. and files are refused', async () => {
    const url = `git://127.0.0.1:${daemon.port}/app.git`;
    for (const path of ['up', 'up/etc', 'escape', '../', 'app/../../x', 'Dockerfile', 'missing']) {
      const d = dest();
      await expectGitError(fetchSource({ url, branch: 'main', path, auth: { kind: 'none' }, dest: d, logger: new CaptureLogger() }), 'invalid-path');
      expect(existsSync(d)).toBe(false);
    }
    const ok = await fetchSource({ url, branch: 'main', path: './app/', auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger() });
    expect(ok.contextDir).toBe(join(ok.dir, 'app'));
  });
});

describe('hostile URLs and branches', () => {
  const pwned = join(tmpdir(), `skiff-pwned-${process.pid}`);

  it('refuses ext::, file://, local paths, option injection and credentials in the URL, and runs nothing', async () => {
    await rm(pwned, { force: true });
    const bad = [
      `ext::sh -c touch% ${pwned}`,
      `ext::sh -c "touch ${pwned}"`,
      'file:///etc',
      join(root, 'srv/app.git'),
      `--upload-pack=touch ${pwned}`,
      `-u touch ${pwned}`,
      'ssh://-oProxyCommand=touch/x',
      `ssh://127.0.0.1/-oProxyCommand=touch%20${pwned}`,
      'user@-oProxyCommand=x:repo',
      'http://example.com/app.git',
      `http://deployer:${TOKEN}@127.0.0.1/app.git`,
      'ftp://127.0.0.1/app.git',
    ];
    for (const url of bad) {
      const e = await expectGitError(fetchSource({ url, branch: 'main', auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger() }), 'invalid-url');
      expect(e.message).not.toContain(TOKEN);
      await expectGitError(remoteHead({ url, branch: 'main', auth: { kind: 'none' } }), 'invalid-url');
    }
    for (const branch of [`--upload-pack=touch ${pwned}`, '-b', 'a..b', 'a b', 'x:y', '', 'refs/../x']) {
      await expectGitError(fetchSource({ url: httpUrl(), branch, auth: token, dest: dest(), logger: new CaptureLogger() }), 'invalid-branch');
    }
    await expectGitError(
      fetchSource({ url: httpUrl(), branch: 'main', commit: '--all', auth: token, dest: dest(), logger: new CaptureLogger() }),
      'invalid-commit',
    );
    expect(existsSync(pwned)).toBe(false);
  });

  it('does not fetch or check out submodules, even one whose URL would run a command', async () => {
    await rm(pwned, { force: true });
    const sub = await makeRepo(root, 'with-sub.git');
    await sub.commit({ '.gitmodules': `[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c touch% ${pwned}\n`, README: 'x' }, 'add .gitmodules');
    sub.git('update-index', '--add', '--cacheinfo', `160000,${first},evil`);
    sub.git('commit', '--quiet', '-m', 'gitlink');
    sub.git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    const src = await fetchSource({
      url: `git://127.0.0.1:${daemon.port}/with-sub.git`,
      branch: 'main',
      auth: { kind: 'none' },
      dest: dest(),
      logger: new CaptureLogger(),
    });
    expect(await readdir(join(src.dir, 'evil'))).toEqual([]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses a crafted tree with a .git directory (hooks smuggled into the checkout)', async () => {
    await rm(pwned, { force: true });
    const bare = join(root, 'srv/app.git');
    const git = (args: string[], input?: Buffer) =>
      execFileSync('git', args, { cwd: bare, input, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } })
        .toString()
        .trim();
    const entry = (mode: string, name: string, sha: string) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(sha, 'hex')]);
    const hook = git(['hash-object', '-w', '--stdin'], Buffer.from(`#!/bin/sh\ntouch ${pwned}\n`));
    const hooks = git(['hash-object', '-w', '-t', 'tree', '--literally', '--stdin'], entry('100755', 'post-checkout', hook));
    const dotgit = git(['hash-object', '-w', '-t', 'tree', '--literally', '--stdin'], entry('40000', 'hooks', hooks));
    const top = git(['hash-object', '-w', '-t', 'tree', '--literally', '--stdin'], entry('40000', '.git', dotgit));
    const commit = git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit-tree', top, '-m', 'evil']);
    git(['update-ref', 'refs/heads/evil', commit]);
    const d = dest();
    const e = await fetchSource({ url: httpUrl(), branch: 'evil', auth: token, dest: d, logger: new CaptureLogger() }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GitError);
    expect((e as GitError).message).toMatch(/hasDotgit|dotgit|\.git/i);
    expect(existsSync(d)).toBe(false);
    expect(existsSync(pwned)).toBe(false);
  });

  it('keeps ext:: and file:: refused by git itself even past the URL check (GIT_ALLOW_PROTOCOL)', async () => {
    const { GitSession } = await import('../src/session.js');
    const { runGit } = await import('../src/run-git.js');
    await rm(pwned, { force: true });
    const s = await GitSession.create({ kind: 'none' }, { transport: 'https', host: 'x', url: 'https://x/' });
    try {
      for (const url of [`ext::sh -c touch% ${pwned}`, `file://${join(root, 'srv/app.git')}`, join(root, 'srv/app.git')]) {
        const e = await runGit(s, ['ls-remote', '--', url], { cwd: s.dir, signal: AbortSignal.timeout(30_000) }).then(
          () => undefined,
          (err: unknown) => err as GitError,
        );
        expect(e?.code, url).toBe('invalid-url');
      }
    } finally {
      await s.dispose();
    }
    expect(existsSync(pwned)).toBe(false);
  });
});

describe('limits', () => {
  it('aborts a fetch whose pack outgrows maxFetchBytes and a tree that would unpack past maxCheckoutBytes', async () => {
    const big = await makeRepo(root, 'big.git');
    await writeFile(join(big.work, 'noise.bin'), randomBytes(3 * 1024 * 1024));
    await big.commit({}, 'incompressible');
    const url = `git://127.0.0.1:${daemon.port}/big.git`;
    const d = dest();
    await expectGitError(
      fetchSource({ url, branch: 'main', auth: { kind: 'none' }, dest: d, logger: new CaptureLogger(), limits: { maxFetchBytes: 512 * 1024 } }),
      'too-large',
    );
    expect(existsSync(d)).toBe(false);
    await writeFile(join(big.work, 'zeros.bin'), Buffer.alloc(32 * 1024 * 1024));
    await big.commit({}, 'compressible bomb');
    const d2 = dest();
    await expectGitError(
      fetchSource({ url, branch: 'main', auth: { kind: 'none' }, dest: d2, logger: new CaptureLogger(), limits: { maxCheckoutBytes: 16 * 1024 * 1024 } }),
      'too-large',
    );
    expect(existsSync(d2)).toBe(false);
    await expectGitError(
      fetchSource({ url, branch: 'main', auth: { kind: 'none' }, dest: dest(), logger: new CaptureLogger(), limits: { maxFiles: 1 } }),
      'too-large',
    );
  });

  it('times out on a server that never answers, and the caller can cancel; no git process is left', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      await expectGitError(
        fetchSource({
          url: `git://127.0.0.1:${port}/x.git`,
          branch: 'main',
          auth: { kind: 'none' },
          dest: dest(),
          logger: new CaptureLogger(),
          limits: { timeoutMs: 1500 },
        }),
        'timeout',
      );
      expect(Date.now() - t0).toBeLessThan(20_000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 500);
      await expectGitError(
        fetchSource({
          url: `http://127.0.0.1:${port}/x.git`,
          branch: 'main',
          auth: { kind: 'none' },
          dest: dest(),
          signal: ac.signal,
          logger: new CaptureLogger(),
        }),
        'aborted',
      );
      await expectGitError(remoteHead({ url: `git://127.0.0.1:${port}/x.git`, branch: 'main', auth: { kind: 'none' }, timeoutMs: 1000 }), 'timeout');
    } finally {
      silent.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const mine = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(`127.0.0.1:${port}`));
    expect(mine).toEqual([]);
  });

  it('leaves no private temp dir (askpass, keys, HOME) behind, whatever the outcome', async () => {
    const left = (await readdir(tmpdir())).filter((f) => f.startsWith('skiff-gitsession-') && !tmpBefore.has(f));
    expect(left).toEqual([]);
  });
});
