import { Agent } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { closeServer, get, port, startProxy, upstream } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** an upstream that takes `ms` to answer, so requests are in flight while routes change */
async function slow(name: string, ms: number) {
  const u = await upstream(name, (req, res) => {
    req.resume();
    setTimeout(() => res.end(name), ms);
  });
  cleanups.push(() => closeServer(u.server));
  return u;
}

describe('route changes under load', () => {
  it('never fail a request: in-flight requests finish on their upstream, new ones take the new routes', async () => {
    const blue = await slow('blue', 30);
    const green = await slow('green', 30);
    const p = await startProxy();
    cleanups.push(() => p.close(0));
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [blue.up], https: false }]);
    const client = new Agent({ keepAlive: true, maxSockets: 8 });
    cleanups.push(() => client.destroy());

    let stop = false;
    const sets = [[blue.up], [green.up], [blue.up, green.up]];
    const swapper = (async () => {
      for (let i = 0; !stop; i++) {
        // a redeploy: the new set, then (other owners moving meanwhile) the next
        p.setRoutes('app', [{ domain: 'app.test', upstreams: sets[i % sets.length]!, https: false }]);
        p.setRoutes(`other-${i % 3}`, i % 2 ? [{ domain: `o${i % 3}.test`, upstreams: [green.up], https: false }] : []);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const statuses = new Map<number, number>();
    const bodies = new Set<string>();
    const loop = async () => {
      for (let i = 0; i < 60; i++) {
        const r = await get(port(p), 'app.test', '/', { agent: client, method: i % 3 ? 'GET' : 'POST', body: i % 3 ? undefined : 'x'.repeat(1000) });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        bodies.add(r.body);
      }
    };
    await Promise.all(Array.from({ length: 8 }, loop));
    stop = true;
    await swapper;
    expect(Object.fromEntries(statuses)).toEqual({ 200: 480 });
    expect(bodies).toEqual(new Set(['blue', 'green']));
  });

  it('keep open WebSockets open when their route is removed', async () => {
    const u = await upstream('ws', (_req, res) => res.end());
    cleanups.push(() => closeServer(u.server));
    const wss = new WebSocketServer({ server: u.server });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const p = await startProxy();
    cleanups.push(() => p.close(0));
    p.setRoutes('app', [{ domain: 'ws.test', upstreams: [u.up], https: false }]);
    const ws = new WebSocket(`ws://127.0.0.1:${port(p)}/`, { headers: { host: 'ws.test' } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    p.deleteRoutes('app');
    const echo = new Promise<string>((r) => ws.once('message', (m) => r(m.toString())));
    ws.send('still here');
    expect(await echo).toBe('echo still here');
    ws.close();
    expect((await get(port(p), 'ws.test')).status).toBe(404);
  });
});
