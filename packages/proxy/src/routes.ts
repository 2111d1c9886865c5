import { isIP } from 'node:net';
import { z } from 'zod';
import type { ProxyRoute, RouteTable, Upstream } from './types.js';

/** a route as the proxy looks it up: the round-robin cursor lives with it */
export interface LiveRoute {
  readonly owner: string;
  readonly domain: string;
  readonly https: boolean;
  readonly upstreams: readonly Upstream[];
  /** where the next request starts its round */
  cursor: number;
}

/** a domain an owner asked for is another owner's: names the one that has it */
export class DomainConflictError extends Error {
  readonly code = 'DOMAIN_CONFLICT';
  constructor(
    readonly domain: string,
    readonly holder: string,
  ) {
    super(`the domain ${domain} is already routed to ${holder}`);
    this.name = 'DomainConflictError';
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const hostname = (s: string) => s.length <= 253 && s.split('.').every((l) => LABEL.test(l));

const domainSchema = z
  .string()
  .transform((d) => d.toLowerCase().replace(/\.$/, ''))
  .refine(hostname, { message: 'not a domain name (letters, digits, hyphens and dots)' });
const upstreamSchema = z.strictObject({
  host: z.string().refine((h) => isIP(h) !== 0 || hostname(h.toLowerCase()), { message: 'not an IP address or host name' }),
  port: z.number().int().min(1).max(65535),
});
const routesSchema = z.array(z.strictObject({ domain: domainSchema, upstreams: z.array(upstreamSchema).max(1024), https: z.boolean() })).max(1024);
const ownerSchema = z.string().min(1).max(255);

/**
 * The Host header (or SNI name) as a route key: lower case, without the port or a trailing
 * dot. An IPv6 literal keeps its brackets; a value with anything odd simply matches nothing.
 */
export function hostKey(host: string | undefined): string | undefined {
  if (!host) return undefined;
  let h = host;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end < 0 ? h : h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  h = h.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Domains to upstreams, per owner. setRoutes validates first and swaps after, so a route
 * change is atomic: a request looks up the map once and keeps what it found, which is how
 * in-flight requests finish on their upstream while new ones see the new routes.
 */
export class Routes implements RouteTable {
  private byDomain = new Map<string, LiveRoute>();
  private byOwner = new Map<string, LiveRoute[]>();

  lookup(host: string | undefined): LiveRoute | undefined {
    const key = hostKey(host);
    return key === undefined ? undefined : this.byDomain.get(key);
  }

  setRoutes(owner: string, routes: ProxyRoute[]): void {
    ownerSchema.parse(owner);
    const parsed = routesSchema.parse(routes);
    const next: LiveRoute[] = [];
    const mine = new Set<string>();
    for (const r of parsed) {
      if (mine.has(r.domain)) throw new Error(`the domain ${r.domain} is listed twice for ${owner}`);
      const holder = this.byDomain.get(r.domain)?.owner;
      if (holder !== undefined && holder !== owner) throw new DomainConflictError(r.domain, holder);
      mine.add(r.domain);
      // a domain that stays keeps its cursor, so a redeploy does not restart every round at replica 0
      const cursor = this.byDomain.get(r.domain)?.cursor ?? 0;
      next.push({ owner, domain: r.domain, https: r.https, upstreams: Object.freeze(r.upstreams.map((u) => ({ ...u }))), cursor });
    }
    const map = new Map(this.byDomain);
    for (const old of this.byOwner.get(owner) ?? []) map.delete(old.domain);
    for (const r of next) map.set(r.domain, r);
    this.byDomain = map;
    if (next.length) this.byOwner.set(owner, next);
    else this.byOwner.delete(owner);
  }

  deleteRoutes(owner: string): void {
    this.setRoutes(owner, []);
  }

  /** every route, for inspection (the dashboard, tests) */
  list(): { owner: string; domain: string; https: boolean; upstreams: Upstream[] }[] {
    return [...this.byDomain.values()].map((r) => ({ owner: r.owner, domain: r.domain, https: r.https, upstreams: r.upstreams.map((u) => ({ ...u })) }));
  }
}
