import { describe, expect, it } from 'vitest';
import { AgentHarness } from './agent-harness.js';
import { bearer, login, trpcCall } from './security-helpers.js';
import { useAgent } from './use-agent.js';

/**
 * What the audit log says, read as an admin reads it: who signed in (not `anonymous`), the
 * container and network by name rather than a 64-character id, a connect with both ends,
 * and a sentence for refused input rather than zod's JSON.
 */
let fixtureAgent: AgentHarness;
let fixtureImage: string;
useAgent({ pull: true }, (f) => ({ agent: fixtureAgent, image: fixtureImage } = f));

type Row = { actor: string; action: string; target: string | null; result: string; detail: string | null };
async function audit(action: string): Promise<Row[]> {
  const r = await trpcCall(fixtureAgent, 'query', 'audit.list', { actionContains: action, limit: 50 }, bearer(fixtureAgent.token('admin')));
  expect(r.status).toBe(200);
  return r.data as Row[];
}

describe('audit entries', () => {
  it('name the user who signed in, and containers and networks by name', async () => {
    const agent = fixtureAgent;
    await login(agent, 'admin', AgentHarness.ADMIN_PASSWORD);
    expect((await audit('auth.login'))[0]).toMatchObject({ actor: 'admin', result: 'ok' });

    const op = bearer(agent.token('operate'));
    const run = await trpcCall(agent, 'mutation', 'containers.run', { spec: { image: fixtureImage, name: 'audited-web', cmd: ['sleep', '300'] } }, op);
    expect(run.status).toBe(200);
    const id = (run.data as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await trpcCall(agent, 'mutation', 'networks.create', { name: 'audited-net' }, op)).status).toBe(200);
    expect((await trpcCall(agent, 'mutation', 'networks.connect', { network: 'audited-net', container: id }, op)).status).toBe(200);
    expect((await trpcCall(agent, 'mutation', 'containers.stop', { id, timeout: 1 }, op)).status).toBe(200);
    expect((await trpcCall(agent, 'mutation', 'containers.remove', { id, force: true }, op)).status).toBe(200);

    const short = id.slice(0, 12);
    expect((await audit('networks.connect'))[0]?.target).toBe(`audited-web (${short}) to network audited-net`);
    expect((await audit('containers.stop'))[0]?.target).toBe(`audited-web (${short})`);
    // named though it is gone: the name is read before the call
    expect((await audit('containers.remove'))[0]?.target).toBe(`audited-web (${short})`);
    for (const row of await audit('containers.')) expect(row.target ?? '').not.toMatch(/[0-9a-f]{64}/);
    expect((await trpcCall(agent, 'mutation', 'networks.remove', { id: 'audited-net' }, op)).status).toBe(200);
  });

  it('keep a sentence for refused input, not JSON', async () => {
    const admin = bearer(fixtureAgent.token('admin'));
    const r = await trpcCall(fixtureAgent, 'mutation', 'users.create', { username: 'shorty', password: 'short', role: 'viewer' }, admin);
    expect(r.status).toBe(400);
    const [row] = await audit('users.create');
    expect(row).toMatchObject({ action: 'users.create', target: 'shorty', result: 'error', detail: 'Password must be at least 8 characters.' });
  });
});
