import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ReverseProxy } from '../src/index.js';
import { closeServer, deadPort, get, port, startProxy, upstream } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function proxy(...args: Parameters<typeof startProxy>): Promise<ReverseProxy> {
  const p = await startProxy(...args);
  cleanups.push(() => p.close(0));
  return p;
}
async function server(...args: Parameters<typeof upstream>) {
  const u = await upstream(...args);
  cleanups.push(() => closeServer(u.server));
  return u;
}

describe('the reverse proxy', () => {
  it('routes by Host, case-insensitively and without the port; unknown hosts get a plain 404', async () => {
    const a = await server('A');
    const b = await server('B');
    const p = await proxy();
    p.setRoutes('app-a', [{ domain: 'a.test', upstreams: [a.up], https: false }]);
    p.setRoutes('app-b', [{ domain: 'b.test', upstreams: [b.up], https: false }]);
    const at = port(p);
    expect((await get(at, 'A.TEST')).body).toBe('A');
    expect((await get(at, `b.test:${at}`)).body).toBe('B');
    const miss = await get(at, 'c.test');
    expect(miss.status).toBe(404);
    expect(miss.body).toBe('404 Not Found\n');
    expect(miss.headers.server).toBeUndefined();
    // absolute-form targets name the host themselves (RFC 9112 §3.2.2)
    expect((await get(at, 'c.test', 'http://a.test/x')).body).toBe('A');
  });

  it('balances over the upstreams round-robin and fails over past a dead one', async () => {
    const a = await server('A');
    const b = await server('B');
    const p = await proxy();
    const dead = { host: '127.0.0.1', port: await deadPort() };
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [a.up, dead, b.up], https: false }]);
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await get(port(p), 'app.test', '/', { method: i % 2 ? 'POST' : 'GET', body: i % 2 ? 'payload' : undefined });
      expect(r.status).toBe(200);
      seen.push(r.body);
    }
    expect(seen.filter((s) => s === 'A').length).toBeGreaterThanOrEqual(10);
    expect(seen.filter((s) => s === 'B').length).toBeGreaterThanOrEqual(10);
  });

  it('answers 502 when no upstream can be reached and 503 when there is none, leaking nothing', async () => {
    const p = await proxy();
    const dead = { host: '127.0.0.1', port: await deadPort() };
    p.setRoutes('down', [{ domain: 'down.test', upstreams: [dead, dead], https: false }]);
    p.setRoutes('empty', [{ domain: 'empty.test', upstreams: [], https: false }]);
    const r = await get(port(p), 'down.test');
    expect(r.status).toBe(502);
    expect(r.body).toBe('502 Bad Gateway\n');
    expect(JSON.stringify(r.headers)).not.toContain(String(dead.port));
    const e = await get(port(p), 'empty.test');
    expect(e.status).toBe(503);
    expect(e.body).toBe('503 Service Unavailable\n');
  });

  it('sets X-Forwarded-*, replaces what the client claimed, and drops hop-by-hop fields both ways', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const u = await server('echo', (req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'x-private': 'hop', connection: 'x-private, keep-alive', 'keep-alive': 'timeout=5', 'set-cookie': ['a=1', 'b=2'] });
      res.end('ok');
    });
    const p = await proxy();
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [u.up], https: false }]);
    const r = await get(port(p), 'app.test:1234', '/', {
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-custom': 'kept', connection: 'x-secret', 'x-secret': 'hop', te: 'trailers' },
    });
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('app.test:1234');
    expect(seen.host).toBe('app.test:1234');
    expect(seen['x-custom']).toBe('kept');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(r.headers['x-private']).toBeUndefined();
    // the proxy's own keep-alive to the client, not the upstream's
    expect(r.headers['keep-alive']).not.toBe('timeout=5');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    // an absolute-form target's authority is the host the app is told (RFC 9112 §3.2.2)
    await get(port(p), 'elsewhere.test', 'http://app.test/abs');
    expect([seen.host, seen['x-forwarded-host']]).toEqual(['app.test', 'app.test']);
  });

  it('pools keep-alive connections to the upstream', async () => {
    const u = await server('A');
    const p = await proxy();
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [u.up], https: false }]);
    const client = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => client.destroy());
    await Promise.all(Array.from({ length: 40 }, () => get(port(p), 'app.test', '/', { agent: client })));
    for (let i = 0; i < 20; i++) await get(port(p), 'app.test', '/', { agent: client });
    expect(u.connections).toBeLessThanOrEqual(8);
  });

  it('streams request and response bodies without buffering them', async () => {
    let upstreamGotFirst!: () => void;
    const firstArrived = new Promise<void>((r) => (upstreamGotFirst = r));
    const u = await server('stream', (req, res) => {
      req.once('data', () => upstreamGotFirst());
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      // the rest only after the client has seen the first chunk (it sends "more" then)
      req.on('data', (d: Buffer) => {
        if (d.toString().includes('end')) res.end('last\n');
      });
    });
    const p = await proxy();
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [u.up], https: false }]);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: port(p), method: 'POST', path: '/', headers: { host: 'app.test' }, agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          got.push(d);
          // the response's first chunk came through while the request is still open: streamed
          if (d.includes('first')) req.end('end');
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.write('start');
      req.flushHeaders();
    });
    await firstArrived;
    expect(got.join('')).toBe('first\nlast\n');
  });

  it('proxies WebSockets both ways', async () => {
    const u = await server('ws', (_req, res) => res.end('plain'));
    const wss = new WebSocketServer({ server: u.server });
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.headers['x-forwarded-for']}`);
      ws.on('message', (m) => ws.send(`echo ${m}`));
    });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const p = await proxy();
    p.setRoutes('app', [{ domain: 'ws.test', upstreams: [{ host: '127.0.0.1', port: await deadPort() }, u.up], https: false }]);
    const ws = new WebSocket(`ws://127.0.0.1:${port(p)}/socket`, { headers: { host: 'ws.test' } });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        messages.push(m.toString());
        if (messages.length === 1) ws.send('ping');
        else resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(messages).toEqual(['hello 127.0.0.1', 'echo ping']);
    // a refused upgrade is passed on as the upstream answered
    const refused = new WebSocket(`ws://127.0.0.1:${port(p)}/`, { headers: { host: 'nobody.test' } });
    const status = await new Promise<number>((r) => refused.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
    expect(status).toBe(404);
  });

  it('redirects HTTPS routes to https:// but answers ACME challenges first', async () => {
    const u = await server('A');
    const p = await proxy({
      https: { host: '127.0.0.1', port: 0 },
      challenges: { keyAuthorization: (t) => (t === 'tok-EN_1' ? 'tok-EN_1.thumbprint' : undefined) },
    });
    p.setRoutes('app', [{ domain: 'secure.test', upstreams: [u.up], https: true }]);
    p.setRoutes('plain', [{ domain: 'plain.test', upstreams: [u.up], https: false }]);
    const r = await get(port(p), 'Secure.test', '/path?q=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://secure.test:${port(p, 'https')}/path?q=1`);
    const c = await get(port(p), 'secure.test', '/.well-known/acme-challenge/tok-EN_1');
    expect(c.status).toBe(200);
    expect(c.body).toBe('tok-EN_1.thumbprint');
    // an unknown token goes on as any request (here: the redirect), a plain route is served
    expect((await get(port(p), 'secure.test', '/.well-known/acme-challenge/other')).status).toBe(308);
    expect((await get(port(p), 'plain.test')).body).toBe('A');
  });

  it('lets requests in flight finish when it closes, then cuts what is left', async () => {
    const u = await server('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end(req.url === '/quick' ? 'done' : 'late'), req.url === '/quick' ? 300 : 60_000);
    });
    const p = await startProxy();
    p.setRoutes('app', [{ domain: 'app.test', upstreams: [u.up], https: false }]);
    const quick = get(port(p), 'app.test', '/quick');
    const stuck = get(port(p), 'app.test', '/stuck').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await p.close(1_500);
    expect((await quick).body).toBe('done');
    expect(await stuck).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 504 for an upstream that never answers, and the proxy goes on serving', async () => {
    const silent = await server('silent', () => undefined);
    const a = await server('A');
    const p = await proxy({}, { upstreamMs: 500 });
    p.setRoutes('slow', [{ domain: 'slow.test', upstreams: [silent.up], https: false }]);
    p.setRoutes('fast', [{ domain: 'fast.test', upstreams: [a.up], https: false }]);
    const [slow, fast] = await Promise.all([get(port(p), 'slow.test'), get(port(p), 'fast.test')]);
    expect(slow.status).toBe(504);
    expect(slow.body).toBe('504 Gateway Timeout\n');
    expect(fast.body).toBe('A');
  });
});
