export type Role = 'viewer' | 'operator' | 'admin';

/** Who is calling. The unix socket is root-only, so its callers are trusted as admin. */
export interface Principal {
  kind: 'root' | 'session' | 'token' | 'anonymous';
  username: string;
  role?: Role;
  userId?: string;
  tokenId?: string;
  sessionId?: string;
  /** the user's revocation epoch when this principal was authenticated (see revocation.ts) */
  epoch?: number;
  /** when the token or session expires (ms since the epoch); a WebSocket outliving it is cut */
  expiresAt?: number;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', username: 'anonymous' };
export const ROOT: Principal = { kind: 'root', username: 'root', role: 'admin' };

export const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function allows(p: Principal, needed: Role): boolean {
  return !!p.role && RANK[p.role] >= RANK[needed];
}

const SCOPE_ROLE: Record<string, Role> = { read: 'viewer', operate: 'operator', admin: 'admin' };

/** the role a token scope stands for (`read` → viewer, `operate` → operator, `admin` → admin) */
export const roleOfScope = (scope: string): Role => SCOPE_ROLE[scope] ?? 'viewer';

export const SCOPES = ['read', 'operate', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The scopes this principal may put on a token it creates for itself: up to its own role,
 * and none at all for an API token without the admin scope (a leaked read token must not
 * mint a token that outlives its revocation).
 */
export function mintableScopes(p: Principal): Scope[] {
  if (p.kind === 'token' && !allows(p, 'admin')) return [];
  return SCOPES.filter((s) => allows(p, roleOfScope(s)));
}

/**
 * What a principal may do, for clients that show or hide controls by it (the dashboard):
 * the procedures check the same rules again on every call.
 */
export function permissionsOf(p: Principal): { operate: boolean; admin: boolean; tokenScopes: Scope[] } {
  return { operate: allows(p, 'operator'), admin: allows(p, 'admin'), tokenScopes: mintableScopes(p) };
}

/** A token's scopes never exceed its owner's role. */
export function roleFromScopes(scopes: string[], ownerRole: Role): Role {
  const scopeRole: Role = scopes.includes('admin') ? 'admin' : scopes.includes('operate') ? 'operator' : 'viewer';
  return RANK[scopeRole] <= RANK[ownerRole] ? scopeRole : ownerRole;
}
