import type { IncomingMessage } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop fields, and Proxy-Connection, which some clients still send */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * What the client may not tell the app: the proxy is the edge, so the forwarding fields
 * are its own (a client's X-Forwarded-For would let it pick its address in the app's
 * logs and rate limits). Expect is answered by the proxy's own server already.
 */
const REPLACED = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'expect']);

/** the field names a Connection header lists: hop-by-hop too (RFC 9110 §7.6.1) */
function connectionListed(raw: string[]): Set<string> | undefined {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1]!.split(',')) {
      const name = t.trim().toLowerCase();
      if (name) (listed ??= new Set()).add(name);
    }
  }
  return listed;
}

function endToEnd(raw: string[], drop: Set<string>): string[] {
  const listed = connectionListed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lname = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lname) || drop.has(lname) || listed?.has(lname)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

const NONE = new Set<string>();

/**
 * The request's fields as the upstream gets them: a flat [name, value, …] list, names as
 * sent. `host` is the one the route was found by (the Host field, or the authority of an
 * absolute-form target, which wins over it: RFC 9112 §3.2.2).
 */
export function requestHeaders(req: IncomingMessage, proto: 'http' | 'https', host: string | undefined, upgrade?: string): string[] {
  const out = endToEnd(req.rawHeaders, REPLACED);
  const ip = req.socket.remoteAddress ?? '';
  out.push('X-Forwarded-For', ip, 'X-Real-IP', ip, 'X-Forwarded-Proto', proto);
  if (host) out.push('Host', host, 'X-Forwarded-Host', host);
  if (upgrade) out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  return out;
}

/** the upstream's response fields as the client gets them */
export function responseHeaders(res: IncomingMessage): string[] {
  return endToEnd(res.rawHeaders, NONE);
}

/** whether a request carries a body (a length above 0, or any transfer coding) */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** a 101 response's head, written to the client's socket as the upstream sent it (hop-by-hop fields kept: they are the upgrade) */
export function switchingHead(res: IncomingMessage): string {
  let head = `HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}\r\n`;
  for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}
