import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../src/index.js';
import { closeServer, get, port, startProxy, upstream } from './helpers.js';

/** a self-signed certificate for `name`, made with the openssl CLI */
function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

function httpsGet(at: number, servername: string, host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: at, servername, ca, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** a bare handshake: resolves with the error it ended in, or 'ok' */
function handshake(at: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: at, servername, rejectUnauthorized: false });
    s.once('secureConnect', () => {
      s.destroy();
      resolve('ok');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('HTTPS with a certificate per server name', () => {
  let dir: string;
  let p: ReverseProxy;
  let certs: Record<string, { key: string; cert: string }>;
  let up: Awaited<ReturnType<typeof upstream>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-proxy-tls-'));
    certs = { 'secure.test': selfSigned(dir, 'secure.test'), 'other.test': selfSigned(dir, 'other.test') };
    const contexts = new Map<string, SecureContext>(Object.entries(certs).map(([n, c]) => [n, createSecureContext(c)]));
    up = await upstream('tls', (req, res) => res.end(`${req.headers['x-forwarded-proto']} ${req.headers.host}`));
    p = await startProxy({ https: { host: '127.0.0.1', port: 0 }, certificates: { secureContext: (name) => contexts.get(name) } });
    p.setRoutes('secure', [{ domain: 'secure.test', upstreams: [up.up], https: true }]);
    p.setRoutes('other', [{ domain: 'other.test', upstreams: [up.up], https: true }]);
  });
  afterAll(async () => {
    await p?.close(0);
    if (up) await closeServer(up.server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves each name with its own certificate, case-insensitively', async () => {
    const at = port(p, 'https');
    expect(await httpsGet(at, 'secure.test', 'secure.test', certs['secure.test']!.cert)).toEqual({ status: 200, body: 'https secure.test' });
    expect(await httpsGet(at, 'other.test', 'other.test', certs['other.test']!.cert)).toEqual({ status: 200, body: 'https other.test' });
    // the wrong CA for a name: the client refuses, so the proxy did send that name's own certificate
    await expect(httpsGet(at, 'secure.test', 'secure.test', certs['other.test']!.cert)).rejects.toThrow();
    expect(await httpsGet(at, 'SECURE.test', 'Secure.Test', certs['secure.test']!.cert)).toEqual({ status: 200, body: 'https Secure.Test' });
  });

  it('fails the handshake for an unknown name or none, and keeps serving', async () => {
    const at = port(p, 'https');
    for (let i = 0; i < 10; i++) {
      expect(await handshake(at, 'unknown.test')).not.toBe('ok');
      expect(await handshake(at, undefined)).not.toBe('ok');
    }
    expect(await handshake(at, 'secure.test')).toBe('ok');
  });

  it("refuses a Host that is not the connection's server name (421)", async () => {
    const r = await httpsGet(port(p, 'https'), 'secure.test', 'other.test', certs['secure.test']!.cert);
    expect(r.status).toBe(421);
  });

  it('still serves plain HTTP routes and redirects the HTTPS ones', async () => {
    const r = await get(port(p), 'secure.test', '/x');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://secure.test:${port(p, 'https')}/x`);
  });
});
