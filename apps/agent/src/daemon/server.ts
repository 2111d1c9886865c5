import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { openDb } from '@skiff/db';
import { createRuntime, type Runtime } from '@skiff/runtime';
import { WebSocket, WebSocketServer } from 'ws';
import { JsonTextWebSocket, wsEncoder } from './ws-encoder.js';
import { appRouter } from '../routers/index.js';
import { EventHistory } from '../event-history.js';
import { SessionRegistry } from '../sessions.js';
import type { AgentServices, Context } from '../trpc.js';
import { authenticate, parseCookies, sameOrigin, SESSION_COOKIE } from '../auth/authenticate.js';
import { bootstrapAdmin } from '../auth/bootstrap.js';
import { FailureLimiter } from '../auth/rate-limit.js';
import { SecretBox } from '../auth/secrets.js';
import { BackupService } from '../backups/service.js';
import type { DaemonOptions } from './options.js';
import { webFrontend } from './web.js';
import { httpScope, inRequest, socketScope } from './fault-containment.js';
import { binaryStreamHandler } from './binary-streams.js';
import { CLI_UPGRADE, serveCliCall } from './cli-host.js';
import { DockerApi } from '../docker-api/server.js';
import { tokenAccess } from '../docker-api/token-access.js';
import { guardedRuntime } from '../auth/guarded-runtime.js';
import { assertHostAccess, loadHostAccessPolicy } from '../auth/host-access.js';
import { principalOf, rememberedPrincipal, rememberPrincipal } from '../auth/request-principal.js';
import { revocations } from '../auth/revocation.js';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_MAX_BODY, refuseLargeBody } from './body-limit.js';
import { Health } from './health-routes.js';
import { ConnectionTracker } from './connections.js';
import { logStderr } from './shutdown.js';
import { stopDaemon } from './shutdown-steps.js';
import { logger } from '@skiff/logger';
import { ReverseProxy } from '@skiff/proxy';
import { startProxy } from './proxy.js';
import { AppService } from '../apps/service.js';
import { serveAppWebhook, WEBHOOK_PREFIX } from '../apps/webhook-route.js';
import type { AppPorts } from '../apps/ports.js';
import { certificateManagerFromEnv } from '@skiff/certs';
import { fetchSource } from '@skiff/git';

const log = logger.child({ component: 'agent' });

export interface RunningDaemon {
  runtime: Runtime;
  /** the bounded, ordered stop (shutdown-steps.ts); containers keep running */
  close(): Promise<void>;
}

/** the certificate store's settings: the daemon's flags over the environment (the CA bundle is env only) */
function acmeEnv(opts: DaemonOptions): NodeJS.ProcessEnv {
  return { SKIFF_ACME_DIRECTORY: opts.acmeDirectory, SKIFF_ACME_EMAIL: opts.acmeEmail, SKIFF_ACME_CA_BUNDLE: process.env.SKIFF_ACME_CA_BUNDLE };
}

/** Is some agent already answering on this socket? (a stale socket file is not) */
export function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The agent: one runtime, one tRPC router, served over HTTP and WebSocket on the unix
 * socket (root only; the CLI's transport) and on a loopback TCP port (the dashboard's).
 */
export async function startDaemon(opts: DaemonOptions, parts: Partial<AppPorts> = {}): Promise<RunningDaemon> {
  if (existsSync(opts.socket)) {
    if (await socketAlive(opts.socket)) throw new Error(`another skiff agent is already listening on ${opts.socket}`);
    unlinkSync(opts.socket);
  }
  const health = new Health();
  const runtime = await createRuntime({
    root: opts.root,
    insecureRegistries: opts.insecureRegistries,
    bridgeName: opts.bridge,
    nftTable: opts.nftTable,
    cgroupParent: opts.cgroupParent,
  });
  for (const f of runtime.hostFindings) log.warn(f, { component: 'host' });
  // the database is opened (and migrated) at every start; it holds no container state
  const { db } = await openDb({ root: opts.root }).catch(async (e) => {
    await runtime.close();
    throw new Error(`cannot open the database: ${(e as Error).message}`);
  });
  health.ready('runtime'); // createRuntime has re-adopted the containers
  health.ready('database', () => db.$queryRaw`SELECT 1`);
  const sessions = new SessionRegistry();
  const secrets = new SecretBox(opts.root);
  // certificates for the apps' domains: ACME when a directory is configured, uploads and placeholders always
  const certs = certificateManagerFromEnv(opts.root, logger.child({ component: 'certs' }), acmeEnv(opts));
  await certs.start();
  // the apps' reverse proxy; its listeners open below, after the agent's own
  const proxy = new ReverseProxy({
    http: opts.proxyHttp,
    https: opts.proxyHttps,
    certificates: certs,
    challenges: certs,
    logger: logger.child({ component: 'proxy' }),
  });
  // tests may bring their own route table or git fetcher (parts); the agent's are the real ones
  const apps = new AppService({ db, runtime, secrets, root: opts.root, routes: proxy, certs, git: { fetchSource }, ...parts });
  // routes of live apps again before the agent says it is ready
  await apps.start().catch((e: Error) => log.error('cannot restore the apps', { err: e }));
  const services: AgentServices = {
    apps,
    secrets,
    loginLimiter: new FailureLimiter(),
    secureCookies: false,
    events: new EventHistory(runtime),
    root: opts.root,
    proxy,
    certs,
    backups: new BackupService({ db, runtime, secrets, root: opts.root }),
  };
  await services.backups.start();
  await bootstrapAdmin(db, {
    adminPassword: process.env.SKIFF_ADMIN_PASSWORD,
    baseUrl: opts.http ? `http://${opts.http.host}:${opts.http.port}` : undefined,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  const policy = () => loadHostAccessPolicy(db);
  const createContext = async ({ req, res }: { req: IncomingMessage; res?: unknown }): Promise<Context> => {
    // a WebSocket's principal was found at its upgrade
    const principal = rememberedPrincipal(req) ?? (await authenticate(req, db));
    return {
      runtime: guardedRuntime(runtime, principal, policy),
      runtimeAllowingBinds: (roots) => guardedRuntime(runtime, principal, async () => ({ ...(await policy()), readOnlyRoots: roots })),
      checkHostAccess: async (requests, roots = []) => {
        for (const r of requests) await assertHostAccess(principal, r, async () => ({ ...(await policy()), readOnlyRoots: roots }));
      },
      sessions,
      db,
      services,
      principal,
      sessionToken: parseCookies(req.headers.cookie)[SESSION_COOKIE],
      ip: req.socket.remoteAddress ?? undefined,
      // an HTTP response can set cookies; a WebSocket (the WS adapter passes the socket) cannot
      setHeader: res instanceof ServerResponse ? (name, value) => res.setHeader(name, value) : undefined,
      ws: res instanceof WebSocket ? res : undefined,
    };
  };
  const maxBody = opts.maxBody ?? DEFAULT_MAX_BODY;
  const handler = createHTTPHandler({ router: appRouter, createContext, basePath: '/trpc/', maxBodySize: maxBody });

  // open WebSockets and their principals: a revocation closes those it hits (1008, policy violation)
  const sockets = new Map<WebSocket, Principal>();
  // (a moment later, so the error answers of the socket's running subscriptions go out first)
  const offRevoke = revocations.onRevoke(() => {
    for (const [ws, p] of sockets) if (!revocations.isCurrent(p)) setTimeout(() => ws.close(1008, 'credentials revoked'), 50);
  });

  const binary = binaryStreamHandler(runtime, db, (p) => guardedRuntime(runtime, p, policy));
  // the dashboard's static files, served by the agent itself (web.ts)
  const web = opts.http ? webFrontend() : undefined;
  const servers: Server[] = [];
  const wsServers: WebSocketServer[] = [];
  // every connection, upgraded ones too: the stop waits for them only for a grace period
  const connections = new ConnectionTracker();
  const serve = async (listen: (srv: Server) => Promise<void>) => {
    const srv = createServer((req, res) => inRequest(httpScope(req, res), () => route(req, res)));
    const route = (req: IncomingMessage, res: ServerResponse) => {
      if (health.handle(req, res)) return; // /healthz, /readyz: unauthenticated, on both listeners
      if (req.url?.startsWith('/trpc/')) {
        // limited before authentication: the unix socket is root's and not limited
        if (req.socket.remoteAddress && refuseLargeBody(req, res, maxBody)) return;
        return void handler(req, res);
      }
      // git hosts' push webhooks: signed with the app's secret, no session or token
      if (req.url?.startsWith(WEBHOOK_PREFIX)) return void serveAppWebhook(apps, req, res);
      // tar streams (save/load/import/export) as plain HTTP bodies, on both listeners
      if (req.url?.startsWith('/api/')) return void binary(req, res);
      // the dashboard only on TCP; the unix socket is the API's alone
      if (web && req.socket.remoteAddress) return web(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    };
    const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024, WebSocket: JsonTextWebSocket });
    applyWSSHandler({
      wss,
      router: appRouter,
      createContext,
      experimental_encoder: wsEncoder,
      keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    });
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => inRequest(socketScope(req, socket), () => upgrade(req, socket, head)));
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url === '/cli' && req.headers.upgrade === CLI_UPGRADE) {
        // the unix socket only: it is root's (0600), and the call runs as the agent
        if (req.socket.remoteAddress) return void socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return serveCliCall(socket, head, opts.socket);
      }
      if (!req.url?.startsWith('/trpc')) return socket.destroy();
      // every WebSocket is authenticated at the upgrade; a browser from another origin never gets one
      void authenticate(req, db).then(
        (p) => {
          if (p.kind === 'anonymous' || !sameOrigin(req)) {
            socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
            return;
          }
          rememberPrincipal(req, p);
          wss.handleUpgrade(req, socket, head, (ws) => {
            sockets.set(ws, p);
            ws.once('close', () => sockets.delete(ws));
            wss.emit('connection', ws, req);
          });
        },
        () => socket.destroy(),
      );
    };
    // keep idle connections longer than clients typically pool them (Node's default is 5 s,
    // which races with clients reusing a pooled socket just as the server closes it)
    srv.keepAliveTimeout = 65_000;
    srv.headersTimeout = 66_000;
    connections.track(srv);
    await listen(srv);
    servers.push(srv);
    wsServers.push(wss);
  };

  mkdirSync(dirname(opts.socket), { recursive: true, mode: 0o755 });
  await serve(
    (srv) =>
      new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(opts.socket, () => {
          chmodSync(opts.socket, 0o600); // root only: the socket is the trusted admin channel
          resolve();
        });
      }),
  );
  if (opts.http) {
    const { host, port } = opts.http;
    await serve(
      (srv) =>
        new Promise<void>((resolve, reject) => {
          srv.once('error', (e: NodeJS.ErrnoException) =>
            reject(e.code === 'EADDRINUSE' ? new Error(`cannot listen on ${host}:${port}: the address is in use`) : e),
          );
          srv.listen(port, host, () => resolve());
        }),
    ).catch(async (e) => {
      for (const s of servers) s.close();
      await runtime.close();
      throw e;
    });
  }

  if (opts.dockerSocket || opts.dockerTcp) {
    // each request's runtime is what its token may do (the unix socket's callers are root)
    const docker = new DockerApi(runtime, (req) => guardedRuntime(runtime, principalOf(req), policy));
    const path = opts.dockerSocket;
    // optional: a second agent (or dockerd's socket path) must not stop this one from starting
    if (path && existsSync(path) && (await socketAlive(path)))
      log.warn('the Docker API socket is in use; the Docker API is not served there', { socket: path });
    else if (path) {
      const srv = await docker.listenUnix(path).catch((e: Error) => {
        log.warn('cannot serve the Docker API', { socket: path, err: e });
        return undefined;
      });
      if (srv) {
        connections.track(srv);
        servers.push(srv);
        srv.on('close', () => existsSync(path) && unlinkSync(path));
      }
    }
    if (opts.dockerTcp) {
      // asked for explicitly, so a failure stops the agent rather than going unnoticed
      const srv = await docker.listenTcp(opts.dockerTcp.host, opts.dockerTcp.port, tokenAccess(db)).catch(async (e: Error) => {
        for (const s of servers) s.close();
        await runtime.close();
        throw e;
      });
      connections.track(srv);
      servers.push(srv);
    }
  }

  // asked for (on by default): a taken port stops the agent with the flag named
  await startProxy(services.proxy).catch(async (e) => {
    for (const s of servers) s.close();
    await runtime.close();
    throw e;
  });

  return {
    runtime,
    close: async () => {
      health.stop(); // /readyz answers 503 from the first moment of the stop
      await services.backups.stop();
      const parts = { connections, wsServers, sessions, runtime, db, apps, certs, socketFiles: [opts.socket], unsubscribe: offRevoke, proxy: services.proxy };
      return stopDaemon(parts, logStderr);
    },
  };
}
