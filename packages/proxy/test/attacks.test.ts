import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../src/index.js';
import { closeServer, get, port, raw, startProxy, upstream } from './helpers.js';

/** what the upstream was sent, one line per request: method, path and every header name */
const seen: string[] = [];
let p: ReverseProxy;
let up: Awaited<ReturnType<typeof upstream>>;

beforeAll(async () => {
  up = await upstream('victim', (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${Object.keys(req.headers).join(',')} body=${JSON.stringify(body)}`);
      res.end('ok');
    });
  });
  p = await startProxy({}, { headersMs: 1_000, requestMs: 3_000, checkIntervalMs: 200 });
  p.setRoutes('app', [{ domain: 'app.test', upstreams: [up.up], https: false }]);
});
afterAll(async () => {
  await p?.close(0);
  if (up) await closeServer(up.server);
});

describe('hostile clients', () => {
  it('refuses request smuggling: conflicting Content-Length and Transfer-Encoding never reach the app', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n';
    const attacks = [
      // CL.TE and TE.CL
      `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${smuggled}\r\n0\r\n\r\n`,
      // two lengths
      `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0, 44\r\n\r\n${smuggled}`,
      // obfuscated codings
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding:\tchunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: +44\r\n\r\n${smuggled}`,
      // a chunk size that overflows
      `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\n${smuggled}\r\n0\r\n\r\n`,
    ];
    for (let round = 0; round < 5; round++) {
      for (const a of attacks) {
        const answer = await raw(port(p), a);
        expect(answer, a).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer, a).not.toContain('ok');
      }
    }
    expect(seen.filter((s) => s.includes('/smuggled'))).toEqual([]);
  });

  it('refuses control characters in headers and the request line (no header injection)', async () => {
    const attacks = [
      'GET / HTTP/1.1\r\nHost: app.test\r\nX-A: a\rInjected: yes\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: app.test\r\nX-A: a\0b\r\n\r\n',
      'GET /a\rInjected: yes HTTP/1.1\r\nHost: app.test\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: app.test\r\nX A: b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: app.test\r\n Injected: folded\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: app.test\r\nHost: other.test\r\n\r\n',
    ];
    for (let round = 0; round < 5; round++) {
      for (const a of attacks) expect(await raw(port(p), a), JSON.stringify(a)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(seen.filter((s) => s.includes('injected'))).toEqual([]);
  });

  it('refuses huge request heads with 431 and keeps serving', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await raw(port(p), `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
      const many = Array.from({ length: 3000 }, (_, j) => `X-${j}: v\r\n`).join('');
      expect(await raw(port(p), `GET / HTTP/1.1\r\nHost: app.test\r\n${many}\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    }
    expect((await get(port(p), 'app.test')).body).toBe('ok');
  });

  it('cuts slowloris clients (a head or a body sent a byte at a time) at the header and request timeouts', async () => {
    const started = Date.now();
    const drip = (head: string, drip: string) =>
      new Promise<number>((resolve) => {
        const s = connect(port(p), '127.0.0.1');
        s.write(head);
        const timer = setInterval(() => s.writable && s.write(drip), 100);
        s.on('error', () => undefined); // the cut is the expected end
        s.on('data', () => undefined);
        s.on('close', () => {
          clearInterval(timer);
          resolve(Date.now() - started);
        });
      });
    const clients = [
      ...Array.from({ length: 20 }, () => drip('GET / HTTP/1.1\r\nHost: app.test\r\n', 'X-Drip: 1\r\n')),
      ...Array.from({ length: 10 }, () => drip('POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100000\r\n\r\n', 'a')),
    ];
    // meanwhile the proxy serves everyone else
    expect((await get(port(p), 'app.test')).body).toBe('ok');
    const ends = await Promise.all(clients);
    // headers within 1 s, the whole request within 3 s, checked every 200 ms; generous for a loaded host
    for (const t of ends.slice(0, 20)) expect(t).toBeLessThan(4_000);
    for (const t of ends.slice(20)) expect(t).toBeLessThan(7_000);
    expect((await get(port(p), 'app.test')).body).toBe('ok');
  });

  it('answers a plain 400 to a garbage request target and a missing Host', async () => {
    expect(await raw(port(p), 'GET ftp://app.test/ HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(port(p), 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('hostile upstreams (a container is not trusted either)', () => {
  it('answer 502 for malformed or smuggling responses, and other routes are not affected', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 2\r\n\r\nok`,
      'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok',
      'NOT HTTP AT ALL\r\n\r\n',
    ];
    let i = 0;
    const evil = createTcpServer((s) => {
      const answer = answers[i++ % answers.length]!;
      s.once('data', () => s.end(answer));
      s.on('error', () => undefined); // the proxy cuts it: expected
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      p.setRoutes('evil', [{ domain: 'evil.test', upstreams: [{ host: '127.0.0.1', port: (evil.address() as AddressInfo).port }], https: false }]);
      for (let n = 0; n < answers.length * 3; n++) {
        const r = await get(port(p), 'evil.test');
        expect(r.status, answers[n % answers.length]!.slice(0, 60)).toBe(502);
        expect(r.headers['set-cookie']).toBeUndefined();
        expect((await get(port(p), 'app.test')).body).toBe('ok');
      }
    } finally {
      p.deleteRoutes('evil');
      await new Promise((r) => evil.close(r));
    }
  });
});
