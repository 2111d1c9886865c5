import type { IncomingMessage } from 'node:http';
import type { Db } from '@skiff/db';
import { hashToken } from './secrets.js';
import { ANONYMOUS, ROOT, roleFromScopes, type Principal, type Role } from './principal.js';
import { revocations } from './revocation.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'auth' });

export const SESSION_COOKIE = 'skiff_session';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** Cookie-authenticated browsers must come from the agent's own origin (CSRF / cross-site WebSocket). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser cross-site request
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Who is calling: the unix socket is trusted (root only, mode 0600); over TCP a bearer API
 * token or a session cookie, checked against their hashes in the database.
 */
export async function authenticate(req: IncomingMessage, db: Db): Promise<Principal> {
  if (!req.socket.remoteAddress) return ROOT;
  // a revocation landing while the database answers would be missed by the epoch read after
  // it: then the lookup is done again (twice at most; a third race refuses)
  for (let attempt = 0; attempt < 3; attempt++) {
    const version = revocations.version;
    const p = await lookUp(req, db);
    if (revocations.version === version) return revocations.isCurrent(p) ? p : ANONYMOUS;
  }
  return ANONYMOUS;
}

async function lookUp(req: IncomingMessage, db: Db): Promise<Principal> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7).trim();
    const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!row || row.user.disabled || (row.expiresAt && row.expiresAt < new Date())) return ANONYMOUS;
    void db.apiToken
      .update({ where: { id: row.id }, data: { lastUsedAt: new Date() } })
      .catch(logFailure(log, 'warn', "recording a token's last use", { token: row.id }));
    const p: Principal = {
      kind: 'token',
      username: row.user.username,
      userId: row.userId,
      tokenId: row.id,
      role: roleFromScopes(row.scopes.split(','), row.user.role as Role),
      epoch: revocations.epochOf(row.userId),
      expiresAt: row.expiresAt?.getTime(),
    };
    return p;
  }
  const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (cookie) {
    if (!sameOrigin(req)) return ANONYMOUS;
    const s = await db.session.findUnique({ where: { tokenHash: hashToken(cookie) }, include: { user: true } });
    if (!s || s.user.disabled || s.expiresAt < new Date()) return ANONYMOUS;
    const p: Principal = {
      kind: 'session',
      username: s.user.username,
      userId: s.userId,
      sessionId: s.id,
      role: s.user.role as Role,
      epoch: revocations.epochOf(s.userId),
      expiresAt: s.expiresAt.getTime(),
    };
    return p;
  }
  return ANONYMOUS;
}
