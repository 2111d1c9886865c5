import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@skiff/logger';
import { forward } from './forward.js';
import { sendPage, socketPage } from './pages.js';
import { hostKey, Routes, type LiveRoute } from './routes.js';
import { DEFAULT_TIMEOUTS, type ProxyTimeouts } from './timeouts.js';
import { target, type Target } from './target.js';
import type { CertificateSource, ChallengeSource, ProxyRoute, RouteTable } from './types.js';
import { forwardUpgrade } from './upgrade.js';

export interface Listen {
  host: string;
  port: number;
}

export interface ReverseProxyOptions {
  /** plain HTTP (ACME challenges, redirects, http routes); null/undefined = off */
  http?: Listen | null;
  /** TLS with a certificate per server name (SNI); null/undefined = off */
  https?: Listen | null;
  certificates?: CertificateSource;
  challenges?: ChallengeSource;
  logger: Logger;
  timeouts?: Partial<ProxyTimeouts>;
}

/** a listener that could not be opened (a taken port, a port below 1024 without the right) */
export class ProxyListenError extends Error {
  constructor(
    readonly listener: 'http' | 'https',
    readonly address: Listen,
    readonly code: string | undefined,
    cause: Error,
  ) {
    const where = `${address.host}:${address.port}`;
    super(code === 'EADDRINUSE' ? `cannot listen on ${where}: the address is in use` : `cannot listen on ${where}: ${cause.message}`, { cause });
    this.name = 'ProxyListenError';
  }
}

const ACME = '/.well-known/acme-challenge/';
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The agent's reverse proxy: routes each request by its Host (and its TLS server name) to
 * the upstreams of the route that has that domain. Written on node:http with one keep-alive
 * agent for all upstreams; see docs/apps.md ("Proxy") for why not Caddy or a library.
 */
export class ReverseProxy implements RouteTable {
  readonly routes = new Routes();
  private readonly timeouts: ProxyTimeouts;
  private readonly log: Logger;
  private readonly agent: Agent;
  private readonly tunnels = new Set<Duplex>();
  private httpServer?: Server;
  private httpsServer?: Server;
  private closing?: Promise<void>;

  constructor(private readonly opts: ReverseProxyOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.log = opts.logger;
    // pooled upstream connections; an idle one is closed before a typical upstream closes it (Node's 5 s)
    this.agent = new Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo', timeout: this.timeouts.upstreamIdleMs });
  }

  setRoutes(owner: string, routes: ProxyRoute[]): void {
    this.routes.setRoutes(owner, routes);
    this.log.info('routes set', { owner, domains: routes.map((r) => r.domain) });
  }

  deleteRoutes(owner: string): void {
    this.routes.deleteRoutes(owner);
    this.log.info('routes deleted', { owner });
  }

  /** the bound addresses (a port of 0 is resolved), for tests and the agent's ready line */
  get addresses(): { http?: AddressInfo; https?: AddressInfo } {
    return { http: this.httpServer?.address() as AddressInfo | undefined, https: this.httpsServer?.address() as AddressInfo | undefined };
  }

  async start(): Promise<void> {
    try {
      if (this.opts.http) this.httpServer = await this.listen('http', this.opts.http);
      if (this.opts.https) this.httpsServer = await this.listen('https', this.opts.https);
    } catch (e) {
      await this.close(0);
      throw e;
    }
  }

  private serverOptions() {
    const t = this.timeouts;
    return {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      keepAliveTimeout: t.keepAliveMs,
      connectionsCheckingInterval: t.checkIntervalMs,
      // Node's strict parser (the default) is what refuses smuggling; say so where it is relied on
      insecureHTTPParser: false,
    };
  }

  private async listen(which: 'http' | 'https', at: Listen): Promise<Server> {
    const proto = which;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, proto);
    const srv =
      which === 'http'
        ? createServer(this.serverOptions(), onRequest)
        : createTlsServer(
            {
              ...this.serverOptions(),
              SNICallback: (name, cb) => {
                const ctx = this.opts.certificates?.secureContext(hostKey(name) ?? name);
                // no context: the handshake fails with an alert, nothing else is served on that name
                if (ctx) cb(null, ctx);
                else cb(new Error(`no certificate for ${name}`));
              },
              ALPNProtocols: ['http/1.1'],
              minVersion: 'TLSv1.2',
              handshakeTimeout: this.timeouts.handshakeMs,
            },
            onRequest,
          );
    srv.timeout = 0;
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, proto));
    srv.on('tlsClientError', (err: Error, socket: Socket) => {
      this.log.debug('TLS handshake failed', { err, remote: socket.remoteAddress });
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e: NodeJS.ErrnoException) => reject(new ProxyListenError(which, at, e.code, e)));
      srv.listen(at.port, at.host || undefined, () => resolve());
    });
    srv.on('error', (err) => this.log.error('proxy listener failed', { listener: which, err }));
    return srv;
  }

  /** the route for a request, or the answer that it has none (written here) */
  private routeOf(
    req: IncomingMessage,
    proto: 'http' | 'https',
    refuse: (status: number, extra?: Record<string, string>) => void,
  ): { route: LiveRoute; target: Target } | undefined {
    const t = target(req);
    if (!t) return void refuse(400);
    const route = this.routes.lookup(t.host);
    if (!route) return void refuse(404);
    if (proto === 'https') {
      // a connection set up for one name is not used for another's routes (RFC 9110 §15.5.20)
      const sni = (req.socket as TLSSocket).servername;
      if (sni && hostKey(sni) !== route.domain) return void refuse(421);
    } else if (route.https && this.httpsServer) {
      const port = (this.httpsServer.address() as AddressInfo).port;
      const location = `https://${route.domain}${port === 443 ? '' : `:${port}`}${t.path === '*' ? '/' : t.path}`;
      return void refuse(308, { location });
    }
    return { route, target: t };
  }

  private handle(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    // ACME HTTP-01 comes first: the redirect to HTTPS must not hide it (the certificate is not there yet)
    if (proto === 'http' && this.opts.challenges && req.url?.startsWith(ACME) && (req.method === 'GET' || req.method === 'HEAD')) {
      const token = req.url.slice(ACME.length);
      const answer = TOKEN.test(token) ? this.opts.challenges.keyAuthorization(token) : undefined;
      if (answer !== undefined) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(answer), 'cache-control': 'no-store' }).end(answer);
        return;
      }
    }
    const found = this.routeOf(req, proto, (status, extra) => sendPage(res, status, status === 400, extra));
    if (!found) return;
    const t = this.timeouts;
    forward(req, res, found.route, found.target, proto, { agent: this.agent, connectTimeoutMs: t.connectMs, upstreamTimeoutMs: t.upstreamMs, log: this.log });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proto: 'http' | 'https'): void {
    if (this.closing) return void socketPage(socket, 503);
    const found = this.routeOf(req, proto, (status, extra) => socketPage(socket, status, extra));
    if (!found) return;
    const t = this.timeouts;
    forwardUpgrade(req, socket, head, found.route, found.target, proto, {
      connectTimeoutMs: t.connectMs,
      upstreamTimeoutMs: t.upstreamMs,
      tunnels: this.tunnels,
      log: this.log,
    });
  }

  /** each listener's close: resolves once its last connection is gone */
  private closed: Promise<void>[] = [];

  /** stops taking connections; open ones go on (close() ends them) */
  stopAccepting(): void {
    for (const s of [this.httpServer, this.httpsServer]) {
      if (!s?.listening) continue;
      this.closed.push(new Promise<void>((r) => s.close(() => r())));
      s.closeIdleConnections();
    }
  }

  /** stops accepting, gives open requests and tunnels `graceMs` to finish, then cuts what is left */
  close(graceMs = 3_000): Promise<void> {
    this.closing ??= (async () => {
      this.stopAccepting();
      const servers = [this.httpServer, this.httpsServer].filter((s): s is Server => !!s);
      // tunnels are not the servers' connections any more: they count as open work too
      const tunnelsGone = async () => {
        while (this.tunnels.size) await new Promise((r) => setTimeout(r, 50));
      };
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
      await Promise.race([Promise.all([...this.closed, tunnelsGone()]), grace]);
      clearTimeout(timer);
      for (const s of servers) s.closeAllConnections();
      for (const t of this.tunnels) t.destroy();
      this.tunnels.clear();
      this.agent.destroy();
    })();
    return this.closing;
  }
}
