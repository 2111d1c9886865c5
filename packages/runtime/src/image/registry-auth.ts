import { platformFetch } from './http-fetch.js';

/** The registry's `WWW-Authenticate` challenge (RFC 7235), as Docker Hub and distribution send it. */
export interface AuthChallenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"|(\w+)=([^,\s]+)/g)) {
    params[(p[1] ?? p[3])!.toLowerCase()] = (p[2] ?? p[4])!;
  }
  return { scheme, params };
}

export interface Credentials {
  username: string;
  password: string;
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/**
 * Fetches a bearer token for `scope` from the challenge's realm (the Docker token flow:
 * anonymous, or with basic credentials for private repositories).
 */
export async function fetchBearerToken(challenge: AuthChallenge, scope: string, creds?: Credentials): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new Error('registry sent a bearer challenge without a realm');
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  const wanted = challenge.params.scope && !scope ? challenge.params.scope : scope;
  if (wanted) url.searchParams.set('scope', wanted); // `docker login` asks with no scope at all
  const headers: Record<string, string> = {};
  if (creds) headers.authorization = basicHeader(creds);
  const res = await platformFetch(url, { headers });
  if (res.status === 401 || res.status === 403) throw Object.assign(new Error(`authentication to ${url.host} failed: ${res.status}`), { status: res.status });
  if (!res.ok) throw new Error(`token server ${url.host} answered ${res.status}`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error(`token server ${url.host} returned no token`);
  return token;
}
