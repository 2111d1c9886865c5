import { isIP } from 'node:net';
import type { ServicePort } from './model.js';

/**
 * Docker's `-p` / Compose short port syntax: `[ip:][host[-range]:]container[-range][/proto]`,
 * IPv6 host addresses in brackets. A container range maps one to one onto a host range
 * of the same size and is expanded into one ServicePort per port; a single container port
 * with a host range keeps the range as `published` (the runtime picks a free one).
 * Returns an error string rather than throwing so the schema's format check can use it.
 */
export function parsePortSpec(spec: string): ServicePort[] | string {
  const bad = `invalid port "${spec}"`;
  let rest = spec.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') return `${bad}: unsupported protocol "${p}" (tcp or udp)`;
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') return bad;
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  let host: string | undefined;
  let container: string;
  if (parts.length === 1) container = parts[0]!;
  else if (parts.length === 2) [host, container] = parts as [string, string];
  else {
    if (hostIp !== undefined) return bad;
    container = parts[parts.length - 1]!;
    host = parts[parts.length - 2]!;
    hostIp = parts.slice(0, -2).join(':');
  }
  if (hostIp !== undefined && hostIp !== '' && isIP(hostIp) === 0) return `${bad}: "${hostIp}" is not an IP address`;
  if (hostIp === '') hostIp = undefined;
  const c = parseRange(container);
  if (!c) return bad;
  if (host === undefined || host === '') {
    return expand(c).map((target) => ({ target, protocol, ...(hostIp ? { hostIp } : {}) }));
  }
  const h = parseRange(host);
  if (!h) return bad;
  const cLen = c[1] - c[0];
  const hLen = h[1] - h[0];
  if (cLen === 0) {
    return [{ target: c[0], published: hLen === 0 ? String(h[0]) : `${h[0]}-${h[1]}`, protocol, ...(hostIp ? { hostIp } : {}) }];
  }
  if (cLen !== hLen) return `${bad}: the host and container ranges differ in size`;
  return expand(c).map((target, i) => ({ target, published: String(h[0] + i), protocol, ...(hostIp ? { hostIp } : {}) }));
}

function parseRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) return undefined;
  return [a, b];
}

function expand([a, b]: [number, number]): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** `published` of the long syntax: a port or a range, as text */
export function checkPublished(v: string): boolean {
  return parseRange(v) !== undefined;
}
