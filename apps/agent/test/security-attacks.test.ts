import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry } from '../../../packages/runtime/test/fixtures/index.js';
import { freePort } from '../../../packages/runtime/test/fixtures/registry.js';
import { AgentHarness } from './agent-harness.js';
import { bearer, login, RawTrpcSocket, trpcCall } from './security-helpers.js';

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
  expect(agent.cli(['run', '-d', '--name', 'victim', image, 'sleep', '300']).code).toBe(0);
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
    expect((await trpcCall(agent, 'query', 'auth.me', undefined, bearer((forOlga.data as { token: string }).token))).data).toMatchObject({ username: 'olga', role: 'operator' });
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

