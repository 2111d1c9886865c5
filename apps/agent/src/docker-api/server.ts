import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Runtime } from '@skiff/runtime';
import { DockerApiError, routePath } from './http.js';
import { dockerError, sendError } from './daemon-errors.js';
import { BUILD_ROUTES } from './build.js';
import { COMMIT_ROUTES } from './commit.js';
import { CONTAINER_ARCHIVE_ROUTES } from './container-archive.js';
import { attach, attachRoutes, PendingAttaches } from './container-attach.js';
import { CONTAINER_STATS_ROUTES } from './container-stats.js';
import { UPDATE_ROUTES } from './container-update.js';
import { containerRoutes } from './containers.js';
import { EVENT_ROUTES } from './events.js';
import { DockerExecs } from './exec.js';
import { IMAGE_PUSH_ROUTES } from './image-push.js';
import { IMAGE_ROUTES } from './images.js';
import { NETWORK_ROUTES } from './networks.js';
import type { Route } from './route.js';
import { SYSTEM_ROUTES } from './system.js';
import { VOLUME_ROUTES } from './volumes.js';
import { httpScope, inRequest, socketScope } from '../daemon/fault-containment.js';

/** the request's target as a URL, or undefined for one no URL parser takes (`GET http://[ HTTP/1.1`) */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://docker');
  } catch {
    return undefined;
  }
}

/** Decides whether a request may go on; throws a DockerApiError (401/403) when not. */
export type DockerApiAccess = (req: IncomingMessage) => Promise<void>;

/**
 * The Docker Engine API mapped onto the runtime, so the `docker` CLI and tools built on the
 * API work against Skiff: on its own unix socket (root only, like dockerd's) and, when
 * enabled, on a TCP address that takes API tokens only. docs/docker-compat.md lists what
 * is served.
 */
export class DockerApi {
  private readonly pendingAttach = new PendingAttaches();
  private readonly execs: DockerExecs;
  /** every endpoint; each route file types the runtime down to what it uses (backend.ts) */
  private readonly routes: Route<Runtime>[];

  /** `runtimeFor`: the runtime as a request's caller may use it (host-level options checked) */
  constructor(
    private readonly runtime: Runtime,
    private readonly runtimeFor: (req: IncomingMessage) => Runtime = () => runtime,
  ) {
    this.execs = new DockerExecs(runtime);
    this.routes = [
      ...SYSTEM_ROUTES,
      ...IMAGE_ROUTES,
      ...containerRoutes(this.pendingAttach),
      ...attachRoutes(this.pendingAttach),
      ...VOLUME_ROUTES,
      ...NETWORK_ROUTES,
      ...IMAGE_PUSH_ROUTES,
      ...EVENT_ROUTES,
      ...CONTAINER_STATS_ROUTES,
      ...CONTAINER_ARCHIVE_ROUTES,
      ...COMMIT_ROUTES,
      ...UPDATE_ROUTES,
      ...this.execs.routes,
      ...BUILD_ROUTES,
    ];
  }

  /** an HTTP server for the API; `access` guards every request and hijack (TCP listeners) */
  server(access?: DockerApiAccess): Server {
    const { runtime, pendingAttach, execs, routes } = this;
    const srv = createServer((req, res) => inRequest(httpScope(req, res, 'Docker API'), () => serve(req, res)));
    const serve = (req: IncomingMessage, res: ServerResponse) => {
      const url = requestUrl(req);
      if (!url) return sendError(res, new DockerApiError(400, 'invalid request target'));
      const path = routePath(url);
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const match = routes.map((r) => ({ r, m: r.method === method ? r.pattern.exec(path) : null })).find((x) => x.m);
      if (!match) {
        const known = routes.some((r) => r.pattern.test(path));
        sendError(
          res,
          new DockerApiError(
            known ? 405 : 404,
            known ? `${req.method} is not allowed on ${path}` : `page not found: ${path} is not served by Skiff (see docs/docker-compat.md)`,
          ),
        );
        return;
      }
      (access ? access(req) : Promise.resolve())
        .then(() => match.r.handle({ req, res, url, params: match.m!.slice(1), runtime: this.runtimeFor(req) }))
        .catch((e) => {
          req.resume();
          sendError(res, e);
        });
    };
    // attach and exec start are hijacked connections: the client asks for an upgrade to a raw TCP stream
    const hijack = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = requestUrl(req);
      if (!url) return void socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      const path = routePath(url);
      const attachTo = /^\/containers\/([^/]+)\/attach$/.exec(path);
      const execStart = /^\/exec\/([^/]+)\/start$/.exec(path);
      const fail = (e: unknown) => {
        const { status, message } = dockerError(e);
        const body = JSON.stringify({ message });
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      };
      (access ? access(req) : Promise.resolve())
        .then(() => {
          if (req.method === 'POST' && attachTo) return attach(runtime, pendingAttach, req, socket, decodeURIComponent(attachTo[1]!), url);
          if (req.method === 'POST' && execStart) return execs.hijack(req, socket, head, execStart[1]!);
          socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        })
        .catch(fail);
    };
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      inRequest(socketScope(req, socket, 'Docker API'), () => hijack(req, socket, head)),
    );
    srv.keepAliveTimeout = 65_000;
    return srv;
  }

  async listenUnix(socketPath: string): Promise<Server> {
    const srv = this.server();
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
    if (existsSync(socketPath)) unlinkSync(socketPath);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(socketPath, () => {
        chmodSync(socketPath, 0o600);
        resolve();
      });
    });
    return srv;
  }

  async listenTcp(host: string, port: number, access: DockerApiAccess): Promise<Server> {
    const srv = this.server(access);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new Error(`cannot listen on ${host}:${port}: the address is in use`) : e),
      );
      srv.listen(port, host, () => resolve());
    });
    return srv;
  }
}
