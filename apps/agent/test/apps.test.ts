import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '@skiff/db';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import type { GitAuth, SourceFetcher } from '../src/apps/ports.js';
import { gitCliFetcher } from './apps/git-fetcher.js';
import { pushAppImages } from './apps/fixtures.js';
import { InProcessAgent } from './apps/in-process-agent.js';
import { TestRouteTable } from './apps/route-table.js';
import { login, trpcCall } from './security-helpers.js';

/**
 * Applications end to end: a real agent (in this process, so it takes this test's route
 * table and git fetcher), real containers, real images from the fixture registry, a real
 * git repository. The route table's forwarder carries the requests a user would send.
 */
let agent: InProcessAgent;
let routes: TestRouteTable;
let registry = '';
let admin: Record<string, string>;
const asHarness = () => agent as unknown as AgentHarness;

type Deployment = { id: string; number: number; status: string; error: string | null; log: string; commit: string | null };

async function call(kind: 'query' | 'mutation', path: string, input: unknown, headers = admin) {
  const r = await trpcCall(asHarness(), kind, path, input, headers);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.error?.message}`);
  return r.data as never;
}

async function deploy(name: string, verb: 'deploy' | 'rollback' = 'deploy', extra: Record<string, unknown> = {}): Promise<Deployment> {
  return call('mutation', `apps.${verb}`, { name, wait: true, ...extra });
}

/** the git CLI fetcher, keeping the auth it was given last */
let lastAuth: GitAuth | undefined;
const recordingFetcher: SourceFetcher = {
  fetchSource: (o) => {
    lastAuth = o.auth;
    return gitCliFetcher.fetchSource(o);
  },
};

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function appContainerNames(name: string): Promise<string[]> {
  const all = await agent.daemon!.runtime.containers.list({ all: true, filters: { label: [`skiff.app=${name}`] } });
  return all.map((c) => c.names[0]!.slice(1)).sort();
}

beforeAll(async () => {
  registry = (await fixtureRegistry()).host;
  await pushAppImages(registry);
  routes = new TestRouteTable();
  await routes.listen();
  agent = await InProcessAgent.create();
  await agent.start({ routes, git: recordingFetcher }, [registry]);
  admin = { cookie: (await login(asHarness(), 'admin', InProcessAgent.ADMIN_PASSWORD)).cookie };
}, 180_000);

afterAll(async () => {
  await agent?.dispose();
  await routes?.close();
  await stopFixtureRegistry();
}, 120_000);

const health = { path: '/', interval: 1, timeout: 2, retries: 8 };

describe('image apps', () => {
  it('deploys, then redeploys a new version with no failed request, and the old containers go', async () => {
    await call('mutation', 'apps.create', {
      name: 'web',
      source: { kind: 'image', image: `${registry}/skiff-test/app:v1` },
      domains: ['web.apps.test'],
      https: false,
      health,
      drainSeconds: 1,
      replicas: 2,
    });
    const first = await deploy('web');
    expect(first.status, first.log).toBe('live');
    expect((await routes.get('web.apps.test')).body).toBe('v1\n');
    expect(routes.upstreamsOf('web.apps.test')).toHaveLength(2);

    await call('mutation', 'apps.update', { name: 'web', image: `${registry}/skiff-test/app:v2` });
    // requests through the proxy all along the redeploy: none may fail
    let stop = false;
    const seen: string[] = [];
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        const r = await routes.get('web.apps.test').catch((e: Error) => ({ status: 0, body: e.message }));
        if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
        else seen.push(r.body.trim());
      }
    })();
    const second = await deploy('web');
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await load;
    expect(second.status, second.log).toBe('live');
    expect(failures).toEqual([]);
    expect(seen).toContain('v1');
    expect(seen.at(-1)).toBe('v2');
    expect(await appContainerNames('web')).toEqual(['app-web-2-1', 'app-web-2-2']);
    const logs = (await call('query', 'apps.logs', { name: 'web' })) as { container: string; line: string }[];
    expect(logs.map((l) => `${l.container} ${l.line}`).sort()).toEqual(['app-web-2-1 serving v2\n', 'app-web-2-2 serving v2\n']);
    const list = (await call('query', 'apps.deployments', { name: 'web' })) as Deployment[];
    expect(list.map((d) => [d.number, d.status])).toEqual([
      [2, 'live'],
      [1, 'superseded'],
    ]);
  });

  it('leaves the old version serving when the new one never gets healthy, and says why', async () => {
    await call('mutation', 'apps.update', { name: 'web', image: `${registry}/skiff-test/app:broken`, health: { ...health, retries: 4 } });
    const bad = await deploy('web');
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/not healthy after 4 checks/);
    expect(bad.log).toContain('broken version starting');
    expect((await routes.get('web.apps.test')).body).toBe('v2\n');
    expect(await appContainerNames('web')).toEqual(['app-web-2-1', 'app-web-2-2']);
    const app = (await call('query', 'apps.get', { name: 'web' })) as { current: { number: number } };
    expect(app.current.number).toBe(2);
  });

  it('rolls back to an earlier deployment without a pull or build', async () => {
    const back = await deploy('web', 'rollback', { deployment: 1 });
    expect(back.status, back.log).toBe('live');
    expect(back.log).toContain('reusing image');
    expect((await routes.get('web.apps.test')).body).toBe('v1\n');
    const list = (await call('query', 'apps.deployments', { name: 'web' })) as Deployment[];
    expect(list.map((d) => [d.number, d.status])).toEqual([
      [4, 'live'],
      [3, 'failed'],
      [2, 'rolled-back'],
      [1, 'superseded'],
    ]);
  });
});

describe('live apps', () => {
  it('routes follow the replicas: one stopped gets no requests, started again it gets them', async () => {
    const [a, b] = (await agent.daemon!.runtime.containers.list({ filters: { label: ['skiff.app=web'] } })).map((c) => c.id);
    await agent.daemon!.runtime.containers.stop(a!, { timeout: 1 });
    await until(() => routes.upstreamsOf('web.apps.test').length === 1);
    for (let i = 0; i < 10; i++) expect((await routes.get('web.apps.test')).status).toBe(200);
    await agent.daemon!.runtime.containers.start(a!);
    await until(() => routes.upstreamsOf('web.apps.test').length === 2);
    const ips = await Promise.all(
      [a!, b!].map(async (id) => Object.values((await agent.daemon!.runtime.containers.inspect(id)).NetworkSettings.Networks)[0]!.IPAddress),
    );
    expect(
      routes
        .upstreamsOf('web.apps.test')
        .map((u) => u.host)
        .sort(),
    ).toEqual(ips.sort());
  });

  it("changes a live app's domains at once", async () => {
    await call('mutation', 'apps.update', { name: 'web', domains: ['web.apps.test', 'www.apps.test'] });
    expect((await routes.get('www.apps.test')).body).toBe('v1\n');
    await call('mutation', 'apps.update', { name: 'web', domains: ['web.apps.test'] });
    expect((await routes.get('www.apps.test')).status).toBe(502);
  });

  it('runs one deploy of an app at a time, and a queued one can be cancelled', async () => {
    // (a rollback leaves the app's own image setting as it was: still the broken one)
    await call('mutation', 'apps.update', { name: 'web', image: `${registry}/skiff-test/app:v2`, health });
    const first = (await call('mutation', 'apps.deploy', { name: 'web' })) as Deployment;
    const second = (await call('mutation', 'apps.deploy', { name: 'web' })) as Deployment;
    expect(second.status).toBe('queued');
    await call('mutation', 'apps.cancel', { name: 'web', deployment: second.id });
    await until(
      async () => ['live', 'failed'].includes(((await call('query', 'apps.deployment', { name: 'web', deployment: first.id })) as Deployment).status),
      60_000,
    );
    expect(((await call('query', 'apps.deployment', { name: 'web', deployment: first.id })) as Deployment).status).toBe('live');
    const cancelled = (await call('query', 'apps.deployment', { name: 'web', deployment: second.id })) as Deployment;
    expect([cancelled.status, cancelled.error]).toEqual(['failed', 'cancelled: by admin']);
    // cancelling what is over is a conflict
    const again = await trpcCall(asHarness(), 'mutation', 'apps.cancel', { name: 'web', deployment: first.id }, admin);
    expect(again.status).toBe(409);
  });
  it('removes an app in the middle of a deploy: the deploy stops, nothing of it stays', async () => {
    await call('mutation', 'apps.create', {
      name: 'slow',
      source: { kind: 'image', image: `${registry}/skiff-test/app:broken` },
      health: { ...health, retries: 60 },
    });
    const d = (await call('mutation', 'apps.deploy', { name: 'slow' })) as Deployment;
    await until(async () => ((await call('query', 'apps.deployment', { name: 'slow', deployment: d.id })) as Deployment).status === 'starting', 30_000);
    await until(async () => (await appContainerNames('slow')).length === 1);
    await call('mutation', 'apps.remove', { name: 'slow' });
    expect(await appContainerNames('slow')).toEqual([]);
    expect((await trpcCall(asHarness(), 'query', 'apps.get', { name: 'slow' }, admin)).status).toBe(404);
  });
});

describe('git apps', () => {
  it("builds the repository's Dockerfile and records the commit", async () => {
    const work = mkdtempSync(join(tmpdir(), 'skiff-git-'));
    try {
      const repo = join(work, 'repo.git');
      const src = join(work, 'src');
      const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
      execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', repo]);
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', src]);
      execFileSync('mkdir', ['-p', join(src, 'site')]);
      writeFileSync(join(src, 'site', 'index.html'), 'from git\n');
      writeFileSync(
        join(src, 'site', 'Dockerfile'),
        `FROM ${registry}/skiff-test/busybox:latest\nCOPY index.html /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      );
      git(src, 'add', '.');
      git(src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'first site');
      git(src, 'push', '--quiet', repo, 'main');
      const sha = git(src, 'rev-parse', 'HEAD');

      const created = (await call('mutation', 'apps.create', {
        name: 'site',
        source: { kind: 'git', url: `file://${repo}`, branch: 'main', path: 'site' },
        port: 8080,
        domains: ['site.apps.test'],
        https: false,
        health,
      })) as { webhookSecret?: string };
      expect(created.webhookSecret).toMatch(/^[\w-]{40,}$/);
      const d = await deploy('site');
      expect(d.status, d.log).toBe('live');
      expect(d.commit).toBe(sha);
      expect(d.log).toContain('COPY index.html');
      expect((await routes.get('site.apps.test')).body).toBe('from git\n');
      expect(lastAuth).toEqual({ kind: 'none' });

      // the push webhook (GitHub's shape): signed with the app's secret, it redeploys
      const hook = async (app: string, event: string, body: object, secret = created.webhookSecret!) => {
        const raw = JSON.stringify(body);
        const sig = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
        const r = await fetch(`${agent.url}/hooks/apps/${app}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sig },
          body: raw,
        });
        return { status: r.status, body: (await r.json()) as { message: string; number?: number } };
      };
      const push = (ref: string) => ({ ref, after: sha, repository: { full_name: 't/site' } });
      expect((await hook('site', 'ping', { zen: 'hi' })).status).toBe(200);
      expect((await hook('site', 'push', push('refs/heads/main'), 'not-the-secret')).status).toBe(401);
      expect((await hook('nosuchapp', 'push', push('refs/heads/main'))).status).toBe(404);
      expect((await hook('site', 'push', push('refs/heads/other'))).status).toBe(202);
      expect((await call('query', 'apps.deployments', { name: 'site' })) as Deployment[]).toHaveLength(1);
      const hooked = await hook('site', 'push', push('refs/heads/main'));
      expect(hooked).toMatchObject({ status: 202, body: { number: 2 } });
      await until(async () => ((await call('query', 'apps.deployment', { name: 'site', deployment: 2 })) as Deployment).status === 'live', 60_000);

      // a deploy key: the public half in the answers, the private half only to the git client
      const keyed = (await call('mutation', 'apps.create', {
        name: 'keyed',
        source: { kind: 'git', url: `file://${repo}`, branch: 'main', path: 'site', deployKey: true },
        port: 8080,
        health,
      })) as { app: { deployKey: string; source: { auth: string } } };
      expect(keyed.app.deployKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ skiff-app-keyed$/);
      expect(keyed.app.source.auth).toBe('ssh');
      expect((await deploy('keyed')).status).toBe('live');
      const auth = lastAuth as Extract<GitAuth, { kind: 'ssh' }>;
      expect(auth.kind).toBe('ssh');
      writeFileSync(join(work, 'key'), auth.privateKey, { mode: 0o600 });
      // OpenSSH reads the private half and derives the same public half from it
      expect(execFileSync('ssh-keygen', ['-y', '-f', join(work, 'key')], { encoding: 'utf8' }).trim()).toBe(keyed.app.deployKey);
      for (const path of ['apps.get', 'apps.list'])
        expect(JSON.stringify(await call('query', path, path === 'apps.get' ? { name: 'keyed' } : undefined))).not.toContain('PRIVATE KEY');
      await call('mutation', 'apps.remove', { name: 'keyed' });

      // a commit that does not build: failed with the build's output, the old one serves
      writeFileSync(join(src, 'site', 'Dockerfile'), `FROM ${registry}/skiff-test/busybox:latest\nRUN echo compiling && echo syntax error >&2 && exit 3\n`);
      git(src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-am', 'break the build');
      git(src, 'push', '--quiet', repo, 'main');
      const broken = await deploy('site');
      expect(broken.status).toBe('failed');
      expect(broken.error).toMatch(/exit(ed)? .*3|returned a non-zero code: 3/);
      expect(broken.log).toContain('syntax error');
      expect(broken.commit).toBe(git(src, 'rev-parse', 'HEAD'));
      expect((await routes.get('site.apps.test')).body).toBe('from git\n');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('secrets and hostile input', () => {
  it('never shows a secret value to a viewer (nor to anyone through the apps API)', async () => {
    const secret = 'hunter2-s3cr3t-value';
    await call('mutation', 'apps.update', { name: 'web', image: `${registry}/skiff-test/app:v2`, health });
    await call('mutation', 'apps.setVars', { name: 'web', secret: true, vars: { DB_PASSWORD: secret } });
    await call('mutation', 'apps.setVars', { name: 'web', vars: { MODE: 'prod' } });
    await call('mutation', 'users.create', { username: 'vera', password: 'viewer-pass-1', role: 'viewer' });
    const viewer = { cookie: (await login(asHarness(), 'vera', 'viewer-pass-1')).cookie };
    const redeployed = await deploy('web');
    expect(redeployed.status, redeployed.log).toBe('live');
    const reads: [string, unknown][] = [
      ['apps.list', undefined],
      ['apps.get', { name: 'web' }],
      ['apps.deployments', { name: 'web' }],
      ['apps.deployment', { name: 'web', deployment: redeployed.number }],
      ['apps.logs', { name: 'web' }],
    ];
    for (const headers of [viewer, admin])
      for (const [path, input] of reads) {
        const r = await trpcCall(asHarness(), 'query', path, input, headers);
        expect(r.status, `${path}: ${r.error?.message}`).toBe(200);
        expect(JSON.stringify(r.data)).not.toContain(secret);
      }
    const app = (await call('query', 'apps.get', { name: 'web' }, viewer)) as { secrets: string[]; env: Record<string, string> };
    expect(app.secrets).toEqual(['DB_PASSWORD']);
    expect(app.env).toEqual({ MODE: 'prod' });
    // the viewer cannot change or deploy it
    for (const [path, input] of [
      ['apps.setVars', { name: 'web', secret: true, vars: { DB_PASSWORD: 'x' } }],
      ['apps.deploy', { name: 'web' }],
      ['apps.remove', { name: 'web' }],
    ] as const)
      expect((await trpcCall(asHarness(), 'mutation', path, input, viewer)).status).toBe(403);
    // nor does inspect show it, over tRPC or the Docker API, to anyone below admin
    const [id] = (await agent.daemon!.runtime.containers.list({ filters: { label: ['skiff.app=web'] } })).map((c) => c.id);
    const token = ((await call('mutation', 'tokens.create', { name: 'peek', scopes: ['read'] }, viewer)) as { token: string }).token;
    for (let i = 0; i < 3; i++) {
      const viaTrpc = await trpcCall(asHarness(), 'query', 'containers.inspect', { id }, viewer);
      expect(viaTrpc.status).toBe(200);
      expect(JSON.stringify(viaTrpc.data)).not.toContain(secret);
      expect(JSON.stringify(viaTrpc.data)).toContain('DB_PASSWORD=********');
      for (const path of [`/containers/${id}/json`, `/v1.43/containers/${id}/json`, '/containers/json?all=1']) {
        const viaDocker = await fetch(`http://127.0.0.1:${agent.dockerPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(viaDocker.status, path).toBe(200);
        expect(await viaDocker.text()).not.toContain(secret);
      }
    }
    // the container has it, in clear, from its start
    const exec = await agent.cli(['exec', id!, 'sh', '-c', 'echo $DB_PASSWORD $MODE']);
    expect(exec.stdout.trim()).toBe(`${secret} prod`);
  });

  it('refuses hostile names, domains, paths and URLs', async () => {
    const image = { kind: 'image', image: `${registry}/skiff-test/app:v1` };
    const git = (over: Record<string, unknown>) => ({ name: 'evil', source: { kind: 'git', url: 'file:///tmp/x.git', ...over } });
    const bad: unknown[] = [
      ...['../etc', 'A', 'a_b', 'a.b', '-a', 'a-', '', 'x'.repeat(41), 'a/b', 'a\0b'].map((name) => ({ name, source: image })),
      ...['evil.com:80', '*.evil.com', 'a b', 'a..b', '-a.com', `${'a'.repeat(64)}.com`, 'http://x'].map((d) => ({
        name: 'evil',
        source: image,
        domains: [d],
      })),
      git({ path: '../../etc' }),
      git({ path: '/etc' }),
      git({ path: 'a/../../b' }),
      git({ url: '--upload-pack=touch /tmp/pwned' }),
      git({ url: 'ext::sh -c touch% /tmp/pwned' }),
      git({ branch: '--orphan' }),
      git({ branch: 'a..b' }),
      { name: 'evil', source: { kind: 'image', image: '--help' } },
      { name: 'evil', source: image, env: { 'A=B': 'x' } },
      { name: 'evil', source: image, env: { '1A': 'x' } },
      { name: 'evil', source: image, health: { path: 'no-slash' } },
      { name: 'evil', source: image, port: 0 },
      { name: 'evil', source: image, replicas: 1000 },
    ];
    for (const input of bad) {
      const r = await trpcCall(asHarness(), 'mutation', 'apps.create', input, admin);
      expect(r.status, JSON.stringify(input)).toBe(400);
    }
    expect((await call('query', 'apps.list', undefined)) as unknown[]).toHaveLength(2);
    // an operator may not have the agent clone the host's own repositories
    await call('mutation', 'users.create', { username: 'otto', password: 'operator-pass-1', role: 'operator' });
    const operator = { cookie: (await login(asHarness(), 'otto', 'operator-pass-1')).cookie };
    for (const url of ['file:///root/.git', 'FILE:///etc/skiff.git', 'file://localhost/var/lib/skiff'])
      expect((await trpcCall(asHarness(), 'mutation', 'apps.create', { name: 'peek', source: { kind: 'git', url } }, operator)).status, url).toBe(403);
    // a domain routes to one app only
    const taken = await trpcCall(asHarness(), 'mutation', 'apps.create', { name: 'thief', source: image, domains: ['web.apps.test'] }, admin);
    expect([taken.status, taken.error?.message]).toEqual([409, 'the domain "web.apps.test" is already routed to the app "web"']);
  });
});

describe('the CLI', () => {
  it('lists apps, refuses a bad name with 125 and removes an app with its containers and routes', async () => {
    const ls = await agent.cli(['app', 'ls']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^NAME\s+SOURCE\s+DEPLOYMENT\s+DOMAINS\n/);
    // #2: the webhook's redeploy in the git test (#3, a broken build, failed)
    expect(ls.stdout).toMatch(/\nsite\s+file:\/\/\S+#main\s+#2 live\s+site\.apps\.test\n/);
    const logs = await agent.cli(['app', 'logs', 'web']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^app-web-\d+-1 \| serving v2\n/m);
    const bad = await agent.cli(['app', 'create', 'Bad_Name', '--image', 'x']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('name');
    const both = await agent.cli(['app', 'create', 'x', '--image', 'x', '--git', 'file:///x']);
    expect([both.code, both.stderr]).toEqual([125, 'skiff: "skiff app create" needs exactly one of --git URL and --image REF\n']);
    // create, deploy, roll back from the CLI; a failed deploy exits 1
    const created = await agent.cli([
      'app',
      'create',
      'cli',
      '--image',
      `${registry}/skiff-test/app:v1`,
      '--domain',
      'cli.apps.test',
      '--no-https',
      '--health-path',
      '/',
      '--deploy',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^cli\n[\s\S]*\nlive/);
    expect((await routes.get('cli.apps.test')).body).toBe('v1\n');
    await call('mutation', 'apps.update', { name: 'cli', image: `${registry}/skiff-test/app:broken`, health: { ...health, retries: 2 } });
    const failed = await agent.cli(['app', 'deploy', 'cli']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/deployment #2 failed: not healthy after 2 checks/);
    const back = await agent.cli(['app', 'rollback', 'cli', '1']);
    expect(back.code, back.stderr).toBe(0);
    expect((await routes.get('cli.apps.test')).body).toBe('v1\n');
    expect((await agent.cli(['app', 'rm', 'cli'])).code).toBe(0);
    const rm = await agent.cli(['app', 'rm', 'site']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await appContainerNames('site')).toEqual([]);
    expect(routes.upstreamsOf('site.apps.test')).toEqual([]);
    const again = await agent.cli(['app', 'rm', 'site']);
    expect([again.code, again.stderr]).toEqual([125, 'skiff: no app named "site"\n']);
  });
});

// last: the stop marks this process's agent as stopping for good (daemon/stopping.ts), which
// ends streams of the restarted one too
describe("the agent's restart", () => {
  it('after an agent restart, publishes the live routes again and fails deployments that were in flight', async () => {
    // a deploy the stop interrupted: its replica exists, its row says "building"
    await agent.daemon!.runtime.containers.create({
      image: `${registry}/skiff-test/app:v1`,
      name: 'app-web-99-1',
      labels: { 'skiff.app': 'web', 'skiff.deployment': 'inflight99' },
    });
    await agent.stop();
    const { db } = await openDb({ root: agent.root });
    const app = await db.app.findUniqueOrThrow({ where: { name: 'web' } });
    await db.deployment.create({ data: { id: 'inflight99', appId: app.id, number: 99, status: 'building', triggeredBy: 'test' } });
    await db.$disconnect();
    routes.routes.clear();
    await agent.start({ routes, git: gitCliFetcher }, [registry]);
    admin = { cookie: (await login(asHarness(), 'admin', InProcessAgent.ADMIN_PASSWORD)).cookie };
    expect((await routes.get('web.apps.test')).body).toBe('v2\n');
    expect(routes.upstreamsOf('web.apps.test')).toHaveLength(2);
    const d99 = (await call('query', 'apps.deployment', { name: 'web', deployment: 99 })) as Deployment;
    expect([d99.status, d99.error]).toEqual(['failed', 'agent restarted']);
    const live = ((await call('query', 'apps.get', { name: 'web' })) as { current: { number: number } }).current.number;
    expect(await appContainerNames('web')).toEqual([`app-web-${live}-1`, `app-web-${live}-2`]);
  });
});
