import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry, freePort } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';
import { announceLargeBody, bearer, login, RawTrpcSocket, trpcCall } from './security-helpers.js';

/**
 * Issue 21, "more power than granted": each test performs the attack a caller below admin
 * (or nobody) made, and checks it is refused. One agent, with the Docker API on TCP too.
 */
let agent: AgentHarness;
let image: string;
let dockerPort: number;
const bindRoot = mkdtempSync(join(tmpdir(), 'skiff-bindroot-'));

beforeAll(async () => {
  const registry = (await fixtureRegistry()).host;
  dockerPort = await freePort();
  agent = await AgentHarness.create([registry], { env: { SKIFF_DOCKER_TCP: `127.0.0.1:${dockerPort}` } });
  image = `${registry}/skiff-test/busybox:latest`;
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
  expect(agent.cli(['user', 'create', '--role', 'operator', '--password', 'operator-pass-1', 'olga']).code).toBe(0);
  expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-pass-1', 'vic']).code).toBe(0);
  expect(agent.cli(['run', '-d', '--name', 'victim', image, 'sh', '-c', 'echo victim up; exec sleep 300']).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await agent?.dispose();
  await stopFixtureRegistry();
  rmSync(bindRoot, { recursive: true, force: true });
}, 90_000);

describe('5: token scope escalation', () => {
  it('a read token cannot mint an admin token (nor any token); sessions mint up to their role', async () => {
    const read = bearer(agent.token('read'));
    const minted = await trpcCall(agent, 'mutation', 'tokens.create', { name: 'escalate', scopes: ['admin'] }, read);
    expect(minted.status).toBe(403);
    expect(minted.error?.message).toMatch(/API token cannot create tokens/);
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'same', scopes: ['read'] }, read)).status).toBe(403);
    // an operate token of an operator cannot either
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'x', scopes: ['operate'] }, bearer(agent.token('operate', 'olga')))).status).toBe(403);

    const olga = await login(agent, 'olga', 'operator-pass-1');
    const tooMuch = await trpcCall(agent, 'mutation', 'tokens.create', { name: 'mine', scopes: ['admin'] }, olga);
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.error?.message).toMatch(/admin scope needs the admin role/);
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'mine', scopes: ['operate'] }, olga)).status).toBe(200);
    const vic = await login(agent, 'vic', 'viewer-pass-1');
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'mine', scopes: ['operate'] }, vic)).status).toBe(403);
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'mine', scopes: ['read'] }, vic)).status).toBe(200);

    // admins create for others, within the other user's role
    const admin = bearer(agent.token('admin'));
    expect((await trpcCall(agent, 'mutation', 'tokens.create', { name: 'for-olga', scopes: ['admin'], username: 'olga' }, admin)).status).toBe(403);
    const forOlga = await trpcCall(agent, 'mutation', 'tokens.create', { name: 'for-olga', scopes: ['operate'], username: 'olga' }, admin);
    expect(forOlga.status).toBe(200);
    expect((await trpcCall(agent, 'query', 'auth.me', undefined, bearer((forOlga.data as { token: string }).token))).data).toMatchObject({
      username: 'olga',
      role: 'operator',
    });
  });
});

describe('6: operator = root on the host', () => {
  const codeOf = (r: { error?: { data: { code: string } } }) => r.error?.data.code;
  let op: Record<string, string>;
  beforeAll(() => {
    op = bearer(agent.token('operate', 'olga'));
  });

  it('tRPC run/create/exec: host binds, extra capabilities, the host network and privileged exec are refused', async () => {
    const attack = { image, cmd: ['cat', '/host/etc/shadow'], mounts: [{ type: 'bind', source: '/', target: '/host' }] };
    const bind = await trpcCall(agent, 'mutation', 'containers.run', { spec: attack }, op);
    expect(bind.status).toBe(403);
    expect(bind.error?.message).toMatch(/the bind mount of \/ gives access to the host and needs the admin role; olga is operator/);
    const cap = await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], capAdd: ['SYS_ADMIN'] }, op);
    expect(cap.error?.message).toMatch(/--cap-add SYS_ADMIN/);
    expect(codeOf(cap)).toBe('FORBIDDEN');
    expect((await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], capAdd: ['ALL'] }, op)).status).toBe(403);
    const net = await trpcCall(agent, 'mutation', 'containers.run', { spec: { image, cmd: ['true'], network: 'host' } }, op);
    expect(net.error?.message).toMatch(/--network host/);
    // Docker's default capabilities are fine
    expect((await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], capAdd: ['CHOWN', 'cap_kill'] }, op)).status).toBe(200);

    const exec = await trpcCall(agent, 'mutation', 'containers.exec', { id: 'victim', spec: { cmd: ['id'], privileged: true } }, op);
    expect(exec.status).toBe(403);
    expect(exec.error?.message).toMatch(/--privileged/);
    // --volumes-from a container an admin gave a host bind does not pass either
    expect(agent.cli(['create', '--name', 'hostroot', '-v', '/:/host', image, 'true']).code).toBe(0);
    const from = await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], volumesFrom: ['hostroot'] }, op);
    expect(from.error?.message).toMatch(/bind mount of \//);
  });

  it("ulimits above the agent's own hard limits (real-time priority, unlimited files) are admin-only", async () => {
    const rtprio = Number(/Max realtime priority\s+\S+\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    const attacks = [
      [{ name: 'rtprio', soft: rtprio + 1, hard: rtprio + 1 }],
      [{ name: 'rtprio', soft: -1, hard: -1 }],
      [{ name: 'nofile', soft: 1024, hard: -1 }],
      [{ name: 'memlock', soft: -1, hard: -1 }],
    ];
    for (let round = 0; round < 3; round++) {
      for (const ulimits of attacks) {
        const r = await trpcCall(agent, 'mutation', 'containers.run', { spec: { image, cmd: ['true'], ulimits } }, op);
        expect(r.status, JSON.stringify(ulimits)).toBe(403);
        expect(r.error?.message).toMatch(new RegExp(`--ulimit ${ulimits[0]!.name}=.* gives access to the host and needs the admin role`));
      }
    }
    // below the agent's own limits is every caller's
    expect(
      (await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], ulimits: [{ name: 'nofile', soft: 100, hard: 200 }] }, op)).status,
    ).toBe(200);
    expect(
      (
        await trpcCall(
          agent,
          'mutation',
          'containers.create',
          { image, cmd: ['true'], ulimits: [{ name: 'nofile', soft: 1024, hard: -1 }] },
          bearer(agent.token('admin')),
        )
      ).status,
    ).toBe(200);
  });

  it('admins keep host access; an admin-set bind root opens binds under it, never through a symlink', async () => {
    const admin = bearer(agent.token('admin'));
    expect(
      (await trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], mounts: [{ type: 'bind', source: '/', target: '/host' }] }, admin))
        .status,
    ).toBe(200);
    mkdirSync(join(bindRoot, 'data'), { recursive: true });
    symlinkSync('/', join(bindRoot, 'escape'));
    expect((await trpcCall(agent, 'mutation', 'settings.setHostAccess', { allowedBindRoots: [bindRoot] }, op)).status).toBe(403);
    expect((await trpcCall(agent, 'mutation', 'settings.setHostAccess', { allowedBindRoots: [bindRoot] }, admin)).status).toBe(200);
    const bindOf = (source: string) =>
      trpcCall(agent, 'mutation', 'containers.create', { image, cmd: ['true'], mounts: [{ type: 'bind', source, target: '/data' }] }, op);
    expect((await bindOf(join(bindRoot, 'data'))).status).toBe(200);
    expect((await bindOf(`${join(bindRoot, 'data')}/`)).status).toBe(200);
    expect((await bindOf('/etc/passwd/x')).status).toBe(403);
    // (a missing source is the runtime's own error, past the host check)
    expect(codeOf(await bindOf(join(bindRoot, 'not-yet')))).not.toBe('FORBIDDEN');
    expect((await bindOf(`${bindRoot}/../../etc`)).status).toBe(403);
    expect((await bindOf(join(bindRoot, 'escape'))).status).toBe(403);
    expect((await bindOf(join(bindRoot, 'escape', 'etc'))).status).toBe(403);
    expect((await bindOf('/etc')).error?.message).toMatch(new RegExp(`or a path under ${bindRoot}`));
    expect((await trpcCall(agent, 'mutation', 'settings.setHostAccess', { allowedBindRoots: [] }, admin)).status).toBe(200);
  });

  it('compose and stacks: a privileged host bind or the host network in the file is refused at deploy', async () => {
    const ws = await RawTrpcSocket.open(agent, op);
    try {
      const compose = `services:\n  aaa:\n    image: ${image}\n    command: sleep 300\n  pwn:\n    image: ${image}\n    command: cat /host/etc/shadow\n    volumes:\n      - /:/host\n`;
      const up = ws.send('subscription', 'compose.up', { files: [{ path: '/tmp/x/compose.yaml', content: compose }], projectName: 'pwn' });
      const upErr = await ws.waitFor(up, (m) => !!m.error, 60_000);
      expect(upErr?.error?.message).toMatch(/the bind mount of \/ gives access to the host/);

      const hostNet = `services:\n  pwn:\n    image: ${image}\n    command: sleep 300\n    network_mode: host\n    cap_add: [SYS_ADMIN]\n`;
      expect((await ws.call('mutation', 'stacks.save', { name: 'pwnstack', composeFile: hostNet, envFile: '', create: true }))?.error).toBeUndefined();
      const deploy = ws.send('subscription', 'stacks.deploy', { name: 'pwnstack' });
      const deployErr = await ws.waitFor(deploy, (m) => !!m.error, 60_000);
      expect(deployErr?.error?.message).toMatch(/gives access to the host/);
      expect(agent.cli(['ps', '-a', '--filter', 'label=com.docker.compose.project=pwnstack', '-q']).stdout.trim()).toBe('');
      // a stack binds its own directory read-only only: read-write, a container could swap its
      // compose.yaml for a symlink the agent (root) writes through at the next deploy
      const rwOwn = `services:\n  pwn:\n    image: ${image}\n    command: ln -sf /etc/cron.d/pwn /stack/compose.yaml\n    volumes:\n      - ./:/stack\n`;
      expect((await ws.call('mutation', 'stacks.save', { name: 'rwstack', composeFile: rwOwn, envFile: '', create: true }))?.error).toBeUndefined();
      const rw = ws.send('subscription', 'stacks.deploy', { name: 'rwstack' });
      expect((await ws.waitFor(rw, (m) => !!m.error, 60_000))?.error?.message).toMatch(/read-write bind mount of .*stacks\/rwstack/);
      // refused before anything was made: no container of the harmless service, no network
      expect(agent.cli(['ps', '-a', '--filter', 'label=com.docker.compose.project=pwn', '-q']).stdout.trim()).toBe('');
      expect(agent.cli(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toMatch(/pwn/);
    } finally {
      ws.close();
    }
  });

  it('the Docker API on TCP and the binary build endpoint check the same options', async () => {
    const docker = (path: string, body: unknown, headers = op) =>
      fetch(`http://127.0.0.1:${dockerPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const bind = await docker('/v1.47/containers/create', { Image: image, Cmd: ['cat', '/host/etc/shadow'], HostConfig: { Binds: ['/:/host'] } });
    expect(bind.status).toBe(403);
    expect(((await bind.json()) as { message: string }).message).toMatch(/bind mount of \//);
    expect((await docker('/v1.47/containers/create', { Image: image, HostConfig: { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e' }] } })).status).toBe(
      403,
    );
    expect((await docker('/v1.47/containers/create', { Image: image, HostConfig: { CapAdd: ['SYS_ADMIN'] } })).status).toBe(403);
    expect((await docker('/v1.47/containers/create', { Image: image, HostConfig: { NetworkMode: 'host' } })).status).toBe(403);
    const exec = await docker('/v1.47/containers/victim/exec', { Cmd: ['id'], Privileged: true });
    expect(exec.status).toBe(403);
    expect((await docker('/v1.47/containers/victim/exec', { Cmd: ['id'] })).status).toBe(201);
    // build with the host network: the refusal is the stream's error line (classic builder) / the answer
    const build = await fetch(`http://127.0.0.1:${dockerPort}/v1.47/build?networkmode=host`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-tar', ...op },
      body: '',
    });
    expect(await build.text()).toMatch(/build --network host gives access to the host/);
    const api = await fetch(`${agent.url}/api/build?networkmode=host`, { method: 'POST', headers: { 'content-type': 'application/x-tar', ...op }, body: '' });
    expect(await api.text()).toMatch(/build --network host gives access to the host/);
  });
});

describe('8: revocation reaches open WebSockets', () => {
  it('a revoked token ends its running subscription and its socket (1008) at once', async () => {
    const tok = agent.token('operate', 'olga');
    const ws = await RawTrpcSocket.open(agent, bearer(tok));
    const sub = ws.send('subscription', 'containers.statsStream', { id: 'victim' });
    expect(await ws.waitFor(sub, (m) => m.result?.type === 'data')).toBeDefined();
    const id = (await trpcCall(agent, 'query', 'tokens.list', undefined, bearer(agent.token('admin')))).data as { id: string; prefix: string }[];
    const row = id.find((t) => tok.startsWith(`${t.prefix}_`))!;
    const t0 = Date.now();
    expect((await trpcCall(agent, 'mutation', 'tokens.revoke', { id: row.id }, bearer(agent.token('admin')))).status).toBe(200);
    const closed = await Promise.race([ws.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
    expect(closed?.code).toBe(1008);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ws.messages.some((m) => m.id === sub && m.error?.data?.code === 'UNAUTHORIZED')).toBe(true);
  });

  it('a revoked token ends its followed log streams over HTTP and the Docker API', async () => {
    const tok = agent.token('read', 'olga');
    const streams = [
      await fetch(`${agent.url}/api/containers/victim/logs?follow=1`, { headers: bearer(tok) }),
      await fetch(`http://127.0.0.1:${dockerPort}/v1.47/containers/victim/logs?follow=1&stdout=1`, { headers: bearer(tok) }),
    ];
    expect(streams.map((r) => r.status)).toEqual([200, 200]);
    const ends = streams.map((r) => {
      const reader = r.body!.getReader();
      const drain = async (): Promise<string> => {
        for (;;) {
          const c = await reader.read().catch(() => ({ done: true }));
          if (c.done) return 'ended';
        }
      };
      return drain();
    });
    const admin = bearer(agent.token('admin'));
    const rows = (await trpcCall(agent, 'query', 'tokens.list', undefined, admin)).data as { id: string; prefix: string }[];
    expect((await trpcCall(agent, 'mutation', 'tokens.revoke', { id: rows.find((t) => tok.startsWith(`${t.prefix}_`))!.id }, admin)).status).toBe(200);
    const timeout = new Promise((r) => setTimeout(() => r('still streaming'), 3000));
    expect(await Promise.all(ends.map((e) => Promise.race([e, timeout])))).toEqual(['ended', 'ended']);
  });

  it('a lowered role, a deleted user and a logout end the WebSockets of that user', async () => {
    expect(agent.cli(['user', 'create', '--role', 'operator', '--password', 'demote-pass-1', 'dora']).code).toBe(0);
    const session = await login(agent, 'dora', 'demote-pass-1');
    const viaSession = await RawTrpcSocket.open(agent, session);
    const viaToken = await RawTrpcSocket.open(agent, bearer(agent.token('operate', 'dora')));
    expect((await viaSession.call('query', 'auth.me'))?.result?.data).toMatchObject({ role: 'operator' });
    expect(agent.cli(['user', 'passwd', '--role', 'viewer', 'dora']).code).toBe(0);
    expect((await viaSession.closed).code).toBe(1008);
    expect((await viaToken.closed).code).toBe(1008);
    // a new socket has the new role
    const again = await RawTrpcSocket.open(agent, bearer(agent.token('read', 'dora')));
    expect((await again.call('query', 'auth.me'))?.result?.data).toMatchObject({ role: 'viewer' });
    expect(agent.cli(['user', 'rm', 'dora']).code).toBe(0);
    expect((await again.closed).code).toBe(1008);

    const olga = await login(agent, 'olga', 'operator-pass-1');
    const browser = await RawTrpcSocket.open(agent, olga);
    const logs = browser.send('subscription', 'containers.logs', { id: 'victim', options: { follow: true } });
    await browser.waitFor(logs, (m) => m.result?.type === 'started');
    expect((await trpcCall(agent, 'mutation', 'auth.logout', null, olga)).status).toBe(200);
    expect((await browser.closed).code).toBe(1008);
  });
});

describe('9: request bodies are limited before authentication', () => {
  it('a 300 MB login body is refused at once, without reading it; chunked bodies are cut at the limit', async () => {
    // 300 MB announced: the answer comes before any of it is sent (before, the agent waited for it all)
    const big = await announceLargeBody(agent.url, '/trpc/auth.login', 300 * 1024 * 1024, 0);
    expect(big.status).toBe(413);
    expect(big.ms).toBeLessThan(3000);
    // an anonymous caller gets 64 KiB; with a token the default is 4 MiB
    expect((await announceLargeBody(agent.url, '/trpc/auth.login', 100 * 1024, 0)).status).toBe(413);
    expect((await announceLargeBody(agent.url, '/trpc/containers.create', 5 * 1024 * 1024, 0, bearer(agent.token('read')))).status).toBe(413);
    const chunked = await fetch(`${agent.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([Buffer.alloc(6 * 1024 * 1024, 0x20)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // the Docker API refuses an announced oversize body before reading it too
    const docker = await announceLargeBody(
      `http://127.0.0.1:${dockerPort}`,
      '/v1.47/containers/create',
      300 * 1024 * 1024,
      0,
      bearer(agent.token('operate', 'olga')),
    );
    expect(docker.status).toBe(413);
    // nor an exec start's body on its hijacked connection
    const op = bearer(agent.token('operate', 'olga'));
    const created = await fetch(`http://127.0.0.1:${dockerPort}/v1.47/containers/victim/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...op },
      body: JSON.stringify({ Cmd: ['true'] }),
    });
    const { Id } = (await created.json()) as { Id: string };
    const answer = await new Promise<string>((resolve) => {
      const s = connect(dockerPort, '127.0.0.1', () => {
        s.write(
          `POST /v1.47/exec/${Id}/start HTTP/1.1\r\nHost: x\r\nAuthorization: ${op.authorization}\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${300 * 1024 * 1024}\r\n\r\n`,
        );
      });
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      setTimeout(() => {
        s.destroy();
        resolve(got || 'no answer');
      }, 3000);
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    // the agent still answers
    expect((await trpcCall(agent, 'query', 'system.ping', undefined)).data).toBe('OK');
  });
});
