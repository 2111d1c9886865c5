import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { Db } from '@skiff/db';
import { isSkiffError, type Runtime } from '@skiff/runtime';
import { HTTP_STATUS } from '../http-status.js';
import { authenticate } from '../auth/authenticate.js';
import { allows, type Principal, type Role } from '../auth/principal.js';
import { streamBuild } from './build-stream.js';
import { streamLogs } from './log-stream.js';
import { writeAudit } from '../auth/audit-log.js';
import { cutOnRevoke } from '../auth/revocable-sockets.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  role: Role;
  /** audit-log action for mutations */
  action?: string;
  handle(ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: string[]; runtime: Runtime }): Promise<string | undefined>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }).end(data);
}

/** Streams a tar to the client; a failure midway cuts the connection so the archive is visibly incomplete. */
function sendTar(res: ServerResponse, stream: Readable | NodeJS.ReadableStream, filename: string): Promise<void> {
  return new Promise((resolve) => {
    res.writeHead(200, { 'content-type': 'application/x-tar', 'content-disposition': `attachment; filename="${filename}"` });
    const s = stream as Readable;
    s.once('error', () => {
      res.destroy();
      resolve();
    });
    res.once('close', () => {
      s.destroy();
      resolve();
    });
    s.pipe(res);
  });
}

/**
 * A request body for the runtime: piped through a PassThrough so a refused archive destroys
 * only that (a destroyed IncomingMessage takes the socket, and the error answer, with it).
 */
export function uploadBody(req: IncomingMessage): Readable {
  const pt = new PassThrough();
  req.pipe(pt);
  pt.once('close', () => req.unpipe(pt));
  req.once('aborted', () => pt.destroy(new Error('the client aborted the upload')));
  return pt;
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/images\/get$/,
    role: 'viewer',
    async handle({ res, url, runtime }) {
      const names = url.searchParams
        .getAll('names')
        .flatMap((n) => n.split(','))
        .map((n) => n.trim())
        .filter(Boolean);
      if (names.length === 0) throw new HttpError(400, 'at least one image name is needed (?names=IMAGE)');
      await sendTar(res, runtime.images.save(names), 'images.tar');
      return names.join(',');
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/images\/load$/,
    role: 'operator',
    action: 'images.load',
    async handle({ req, res, runtime }) {
      const r = await runtime.images.load(uploadBody(req));
      sendJson(res, 200, r);
      return r.loaded.join(',');
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/images\/import$/,
    role: 'operator',
    action: 'images.import',
    async handle({ req, res, url, runtime }) {
      const ref = url.searchParams.get('ref') || undefined;
      const r = await runtime.images.import(uploadBody(req), {
        ref,
        message: url.searchParams.get('message') ?? undefined,
        changes: url.searchParams.getAll('changes'),
      });
      sendJson(res, 200, r);
      return ref ?? r.id;
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/build$/,
    role: 'operator',
    action: 'images.build',
    handle: ({ req, res, url, runtime }) => streamBuild(runtime, uploadBody(req), url, res),
  },
  {
    method: 'GET',
    pattern: /^\/api\/containers\/([^/]+)\/logs$/,
    role: 'viewer',
    async handle({ res, url, params, runtime }) {
      const id = decodeURIComponent(params[0]!);
      await streamLogs(runtime, id, url, res);
      return id;
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/containers\/([^/]+)\/export$/,
    role: 'viewer',
    async handle({ res, params, runtime }) {
      const id = decodeURIComponent(params[0]!);
      await sendTar(res, await runtime.containers.export(id), `${id}.tar`);
      return id;
    },
  },
];

function authError(p: Principal, role: Role): HttpError | undefined {
  if (p.kind === 'anonymous') return new HttpError(401, 'authentication required: log in or send an API token (Authorization: Bearer …)');
  if (!allows(p, role)) return new HttpError(403, `this needs the ${role} role; ${p.username} is ${p.role}`);
  return undefined;
}

/**
 * Binary streams (image save/load/import, build, container export and logs) as plain HTTP, next to
 * tRPC: tar bodies go through as bytes, never as base64 JSON. Same principals and roles as
 * the router (save/export: viewer; load/import/build: operator), mutations in the audit log.
 * Errors are `{ message }` with the HTTP status of the runtime error.
 */
export function binaryStreamHandler(runtime: Runtime, db: Db, runtimeFor: (p: Principal) => Runtime = () => runtime) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const ip = req.socket?.remoteAddress ?? undefined; // the socket is gone once the connection closes
    let principal: Principal | undefined;
    let route: Route | undefined;
    try {
      const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find((x) => x.m);
      if (!match) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
      if (match.r.method !== req.method) {
        res.setHeader('allow', match.r.method);
        throw new HttpError(405, `${url.pathname} needs ${match.r.method}`);
      }
      route = match.r;
      principal = await authenticate(req, db);
      const denied = authError(principal, route.role);
      if (denied) throw denied;
      // a followed log or a build ends when its principal is revoked
      cutOnRevoke(req.socket, principal);
      // host-level options (a build's --network host) are checked against the caller
      const target = await route.handle({ req, res, url, params: match.m!.slice(1), runtime: runtimeFor(principal) });
      audit(db, principal, route, target, ip);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : isSkiffError(e) ? HTTP_STATUS[e.code] : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (principal && route && principal.kind !== 'anonymous') audit(db, principal, route, undefined, ip, message);
      if (res.headersSent) {
        // a stream that already ended carried its own error line; one cut midway must look cut
        if (!res.writableEnded) res.destroy();
        return;
      }
      // the rest of a refused upload is read and dropped, so the client gets this answer
      if (!req.readableEnded) {
        req.unpipe();
        req.resume();
      }
      sendJson(res, status, { message });
    }
  };
}

function audit(db: Db, p: Principal, route: Route, target: string | undefined, ip: string | undefined, error?: string): void {
  if (route.action) writeAudit(db, { actor: p.username, action: route.action, target, ip, error });
}
