import { createServer, request, type Server } from 'node:http';
import type { ProxyRoute, RouteTable, Upstream } from '../../src/apps/ports.js';

/**
 * A test double of @skiff/proxy: the routes in a map, and a node:http forwarder that
 * sends each request to an upstream of its Host's route (round robin), read per request.
 */
export class TestRouteTable implements RouteTable {
  readonly routes = new Map<string, ProxyRoute[]>();
  private server?: Server;
  private next = 0;
  port = 0;

  setRoutes(owner: string, routes: ProxyRoute[]): void {
    this.routes.set(owner, routes);
  }
  deleteRoutes(owner: string): void {
    this.routes.delete(owner);
  }

  upstreamsOf(domain: string): Upstream[] {
    for (const rs of this.routes.values()) for (const r of rs) if (r.domain === domain) return r.upstreams;
    return [];
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const ups = this.upstreamsOf((req.headers.host ?? '').replace(/:\d+$/, ''));
      const up = ups[this.next++ % Math.max(1, ups.length)];
      if (!up) return void res.writeHead(502).end('no route\n');
      const out = request({ host: up.host, port: up.port, path: req.url, method: req.method, headers: req.headers, agent: false }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      out.once('error', (e) => res.writeHead(502).end(`upstream: ${e.message}\n`));
      req.pipe(out);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** GET through the forwarder as `domain` */
  get(domain: string, path = '/'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: this.port, path, headers: { host: domain }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.once('error', reject);
      r.end();
    });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
