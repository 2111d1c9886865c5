import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/routers/index.js';
import { AgentHarness } from './agent-harness.js';
import { bearer, login, RawTrpcSocket, trpcCall } from './security-helpers.js';
import { useAgent } from './use-agent.js';

/**
 * The authorization table: every tRPC procedure with the least role that may call it, called
 * by every kind of principal. A procedure missing here fails the test with its name, so none
 * is added without deciding who may call it. Inputs are invalid (42) unless a row says
 * otherwise: a caller below the role must get UNAUTHORIZED/FORBIDDEN — which proves the role
 * check runs before input parsing and effects — and anyone else anything but those.
 */
type Least = 'public' | 'viewer' | 'operator' | 'admin';
interface Row {
  least: Least;
  /** API tokens need this effective role (tokens.create: only admin tokens mint tokens) */
  tokensNeed?: Least;
  /** a valid input, where the check under test runs after parsing */
  input?: unknown;
}
const V: Row = { least: 'viewer' };
const O: Row = { least: 'operator' };
const A: Row = { least: 'admin' };
const P: Row = { least: 'public' };

const TABLE: Record<string, Row> = {
  'containers.list': V,
  'containers.inspect': V,
  'containers.prune': O,
  'containers.create': O,
  'containers.run': O,
  'containers.start': O,
  'containers.stop': O,
  'containers.restart': O,
  'containers.kill': O,
  'containers.pause': O,
  'containers.unpause': O,
  'containers.remove': O,
  'containers.update': O,
  'containers.rename': O,
  'containers.top': V,
  'containers.stats': V,
  'containers.statsSummary': V,
  'containers.diff': V,
  'containers.commit': O,
  'containers.copyFrom': V,
  'containers.copyTo': O,
  'containers.statsStream': V,
  'containers.wait': V,
  'containers.logs': V,
  'containers.logChunks': V,
  'containers.attach': O,
  'containers.exec': O,
  'containers.execDetached': O,
  'containers.sessionOutput': O,
  'containers.sessionInput': O,
  'containers.sessionResize': O,
  'containers.sessionCloseStdin': O,
  'containers.sessionDetach': O,
  'images.push': O,
  'images.list': V,
  'images.inspect': V,
  'images.tag': O,
  'images.remove': O,
  'images.prune': O,
  'images.history': V,
  'images.pull': O,
  'volumes.list': V,
  'volumes.inspect': V,
  'volumes.create': O,
  'volumes.remove': O,
  'volumes.prune': O,
  'networks.list': V,
  'networks.inspect': V,
  'networks.create': O,
  'networks.remove': O,
  'networks.prune': O,
  'networks.connect': O,
  'networks.disconnect': O,
  'system.info': V,
  'system.version': V,
  'system.ping': P,
  'system.resources': A,
  'system.df': V,
  'system.prune': O,
  'system.recentEvents': V,
  'system.events': V,
  'audit.list': A,
  'auth.login': P,
  'auth.logout': P,
  'auth.me': V,
  'auth.setupNeeded': P,
  'auth.setup': P,
  'users.list': A,
  'users.create': A,
  'users.update': A,
  'users.remove': A,
  'tokens.list': V,
  'tokens.create': { least: 'viewer', tokensNeed: 'admin', input: { name: 'authz-table', scopes: ['read'] } },
  'tokens.revoke': V,
  'registries.list': A,
  'registries.login': A,
  'registries.logout': A,
  'compose.config': V,
  'compose.ls': V,
  'compose.ps': V,
  'compose.up': O,
  'compose.down': O,
  'compose.pull': O,
  'compose.start': O,
  'compose.stop': O,
  'compose.restart': O,
  'stacks.list': V,
  'stacks.get': V,
  'stacks.validate': V,
  'stacks.save': O,
  'stacks.deploy': O,
  'stacks.start': O,
  'stacks.stop': O,
  'stacks.restart': O,
  'stacks.down': O,
  'stacks.remove': O,
  'apps.list': V,
  'apps.get': V,
  'apps.deployments': V,
  'apps.deployment': V,
  'apps.logs': V,
  'apps.create': O,
  'apps.update': O,
  'apps.setVars': O,
  'apps.deploy': O,
  'apps.rollback': O,
  'apps.cancel': O,
  'apps.remove': O,

  'backups.list': V,
  'backups.get': V,
  'backups.create': O,
  'backups.update': O,
  'backups.remove': O,
  'backups.run': O,
  'backups.runs': V,
  'backups.restore': O,
  'backups.deleteRun': O,

  'settings.hostAccess': A,
  'settings.setHostAccess': A,
  'templates.catalogues': V,
  'templates.list': V,
  'templates.get': V,
  'templates.deploy': O,
  'templates.revealSecrets': O,
  'templates.addCatalogue': A,
  'templates.refreshCatalogue': A,
  'templates.removeCatalogue': A,
};

const RANK: Record<Least, number> = { public: 0, viewer: 1, operator: 2, admin: 3 };

interface Caller {
  name: string;
  /** the effective role (a token's is its scope capped by its owner's role); undefined = anonymous */
  role?: Exclude<Least, 'public'>;
  token: boolean;
  headers: Record<string, string>;
}

const procedures = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: 'query' | 'mutation' | 'subscription' } }> } })._def
  .procedures;

let agent: AgentHarness;
useAgent({}, (f) => ({ agent } = f));
const callers: Caller[] = [];

beforeAll(async () => {
  expect(agent.cli(['user', 'create', '--role', 'viewer', '--password', 'viewer-pass-1', 'vic']).code).toBe(0);
  expect(agent.cli(['user', 'create', '--role', 'operator', '--password', 'operator-pass-1', 'olga']).code).toBe(0);
  // an admin token of a user who was then demoted to operator: capped at operator
  expect(agent.cli(['user', 'create', '--role', 'admin', '--password', 'demoted-pass-1', 'dan']).code).toBe(0);
  const capped = agent.token('admin', 'dan');
  expect(agent.cli(['user', 'passwd', '--role', 'operator', 'dan']).code).toBe(0);
  callers.push(
    { name: 'anonymous', token: false, headers: {} },
    { name: 'viewer session', role: 'viewer', token: false, headers: await login(agent, 'vic', 'viewer-pass-1') },
    { name: 'operator session', role: 'operator', token: false, headers: await login(agent, 'olga', 'operator-pass-1') },
    { name: 'admin session', role: 'admin', token: false, headers: await login(agent, 'admin', AgentHarness.ADMIN_PASSWORD) },
    { name: 'read token', role: 'viewer', token: true, headers: bearer(agent.token('read')) },
    { name: 'operate token', role: 'operator', token: true, headers: bearer(agent.token('operate')) },
    { name: 'admin token', role: 'admin', token: true, headers: bearer(agent.token('admin')) },
    { name: 'read token of an operator', role: 'viewer', token: true, headers: bearer(agent.token('read', 'olga')) },
    { name: 'admin token of a demoted admin', role: 'operator', token: true, headers: bearer(capped) },
  );
});

const DENIED = new Set(['UNAUTHORIZED', 'FORBIDDEN']);

function expected(row: Row, c: Caller): boolean {
  if (row.least === 'public') return true;
  if (!c.role || RANK[c.role] < RANK[row.least]) return false;
  return !(c.token && row.tokensNeed && RANK[c.role] < RANK[row.tokensNeed]);
}

/** true when the call got past authorization (any answer but UNAUTHORIZED/FORBIDDEN) */
async function passes(path: string, c: Caller, ws: RawTrpcSocket | undefined): Promise<boolean> {
  const type = procedures[path]!._def.type;
  const input = TABLE[path]!.input ?? 42;
  if (type === 'subscription') {
    if (!ws) return false; // the upgrade itself was refused
    const id = ws.send('subscription', path, input);
    const m = await ws.waitFor(id, (x) => !!x.error || x.result?.type === 'started' || x.result?.type === 'data', 15_000);
    if (m?.result) ws.ws.send(JSON.stringify({ id, method: 'subscription.stop' }));
    if (!m) throw new Error(`${path} as ${c.name}: no answer`);
    return !(m.error && DENIED.has(m.error.data?.code ?? ''));
  }
  const r = await trpcCall(agent, type, path, input, c.headers);
  return !(r.error && DENIED.has(r.error.data.code));
}

describe('authorization table', () => {
  it('has a row for every procedure of the router, and none for a procedure that is gone', () => {
    const names = Object.keys(procedures);
    expect(
      names.filter((n) => !(n in TABLE)),
      'procedures without a row in the authorization table',
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((n) => !names.includes(n)),
      'rows for procedures the router no longer has',
    ).toEqual([]);
  });

  it('every principal gets exactly what its role (and token scope) allows', async () => {
    // logout last: it ends the caller's own session
    const paths = Object.keys(procedures).sort((a, b) => Number(a === 'auth.logout') - Number(b === 'auth.logout'));
    const wrong: string[] = [];
    await Promise.all(
      callers.map(async (c) => {
        const ws = c.role ? await RawTrpcSocket.open(agent, c.headers) : await RawTrpcSocket.open(agent, c.headers).catch(() => undefined);
        if (!c.role) expect(ws, 'an anonymous WebSocket upgrade').toBeUndefined();
        try {
          for (const path of paths) {
            const got = await passes(path, c, ws);
            const want = expected(TABLE[path]!, c);
            if (got !== want) wrong.push(`${path} as ${c.name}: ${got ? 'got past authorization' : 'was refused'}, expected ${want ? 'to pass' : 'refusal'}`);
          }
        } finally {
          ws?.close();
        }
      }),
    );
    expect(wrong).toEqual([]);
  }, 120_000);
});
