import type { IncomingMessage } from 'node:http';
import type { Db } from '@skiff/db';
import { authenticate } from '../auth/authenticate.js';
import { allows } from '../auth/principal.js';
import { writeAudit } from '../auth/audit-log.js';
import { rememberPrincipal } from '../auth/request-principal.js';
import { cutOnRevoke } from '../auth/revocable-sockets.js';
import { DockerApiError, routePath } from './http.js';
import type { DockerApiAccess } from './server.js';

/**
 * The Docker API over TCP takes API tokens only (`Authorization: Bearer …`, which the docker
 * CLI sends from config.json's "HttpHeaders"): never cookies, so a browser page cannot
 * drive it. Reads need the viewer role, anything else the operator role — the same
 * token scopes as the tRPC API. Every change lands in the audit log.
 */
export function tokenAccess(db: Db): DockerApiAccess {
  return async (req: IncomingMessage) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      throw new DockerApiError(
        401,
        'this Docker API listener needs a Skiff API token: put {"HttpHeaders": {"Authorization": "Bearer <token>"}} in the docker CLI\'s config.json',
      );
    }
    const p = await authenticate(req, db);
    if (p.kind === 'anonymous') throw new DockerApiError(401, 'the API token is invalid, revoked or expired');
    const read = req.method === 'GET' || req.method === 'HEAD';
    const needed = read ? 'viewer' : 'operator';
    if (!allows(p, needed)) throw new DockerApiError(403, `this needs the ${needed} role; ${p.username} is ${p.role}`);
    // the routes check host-level options (binds, caps, host network, privileged exec) against it
    rememberPrincipal(req, p);
    // an attach or exec stream on this connection ends when the token is revoked
    cutOnRevoke(req.socket, p);
    if (!read) {
      const path = routePath(new URL(req.url ?? '/', 'http://docker'));
      writeAudit(db, {
        actor: p.username,
        action: `docker ${req.method} ${path.replace(/\/[0-9a-f]{64}(?=\/|$)/g, '/{id}')}`.slice(0, 200),
        target: path.slice(0, 200),
        ip: req.socket.remoteAddress ?? undefined,
      });
    }
  };
}
