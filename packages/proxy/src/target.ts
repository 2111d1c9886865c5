import type { IncomingMessage } from 'node:http';

/** where a request goes: the host its route is looked up by and an origin-form path */
export interface Target {
  host: string | undefined;
  path: string;
}

/**
 * The request target as a host and a path. A proxy may be sent the absolute form, whose
 * authority then wins over Host (RFC 9112 §3.2.2). Two Host fields would let the proxy and
 * the app disagree on the site (RFC 9112 §3.2: 400), as would a scheme other than http(s):
 * both are undefined, which the caller answers with 400.
 */
export function target(req: IncomingMessage): Target | undefined {
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return undefined;
  const url = req.url ?? '/';
  if (url.charCodeAt(0) === 47 /* / */ || url === '*') return { host: req.headers.host, path: url };
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const u = new URL(url);
    return { host: u.host, path: `${u.pathname}${u.search}` };
  } catch {
    return undefined; // not a URL: the caller answers 400
  }
}
