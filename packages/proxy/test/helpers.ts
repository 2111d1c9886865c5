import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { logger } from '@skiff/logger';
import { ReverseProxy, type ProxyTimeouts, type ReverseProxyOptions, type Upstream } from '../src/index.js';

export const log = logger.child({ component: 'proxy-test' });

/** a real upstream on 127.0.0.1 that answers with its name (or the handler's answer) */
export async function upstream(
  name: string,
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; up: Upstream; connections: number }> {
  const out = { server: undefined as unknown as Server, up: { host: '127.0.0.1', port: 0 }, connections: 0 };
  const server = createServer(
    handler ??
      ((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name }).end(name));
      }),
  );
  server.on('connection', () => out.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  out.server = server;
  out.up.port = (server.address() as AddressInfo).port;
  return out;
}

export function closeServer(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}

/** a port nothing listens on (bound and released) */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startProxy(extra: Partial<ReverseProxyOptions> = {}, timeouts: Partial<ProxyTimeouts> = {}): Promise<ReverseProxy> {
  const p = new ReverseProxy({ http: { host: '127.0.0.1', port: 0 }, logger: log, timeouts, ...extra });
  await p.start();
  return p;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** one request through the proxy with the given Host */
export function get(
  port: number,
  host: string,
  path = '/',
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: import('node:http').Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: opts.agent ?? false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** raw bytes to a port; resolves with everything the peer sent until it closed (or `waitMs` passed) */
export function raw(port: number, data: string | Buffer, waitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, waitMs);
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    s.write(data);
  });
}

export function port(p: ReverseProxy, which: 'http' | 'https' = 'http'): number {
  const a = p.addresses[which];
  if (!a) throw new Error(`the proxy has no ${which} listener`);
  return a.port;
}
