import type { IncomingMessage } from 'node:http';
import type { Db } from '@skiff/db';
import { hashToken } from './secrets.js';
import { ANONYMOUS, ROOT, roleFromScopes, type Principal, type Role } from './principal.js';

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
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7).trim();
    const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!row || row.user.disabled || (row.expiresAt && row.expiresAt < new Date())) return ANONYMOUS;
    void db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
    return { kind: 'token', username: row.user.username, userId: row.userId, tokenId: row.id, role: roleFromScopes(row.scopes.split(','), row.user.role as Role) };
  }
  const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (cookie) {
    if (!sameOrigin(req)) return ANONYMOUS;
    const s = await db.session.findUnique({ where: { tokenHash: hashToken(cookie) }, include: { user: true } });
    if (!s || s.user.disabled || s.expiresAt < new Date()) return ANONYMOUS;
    return { kind: 'session', username: s.user.username, userId: s.userId, role: s.user.role as Role };
  }
  return ANONYMOUS;
}
