import { createHash } from 'node:crypto';
import { extname } from 'node:path';

/** what a static export holds; anything else is sent as bytes to download, never sniffed */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  // the RSC payloads of a static export: Next's router accepts text/plain for them in export mode
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export const contentType = (file: string) => TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/** on every dashboard response: no framing (clickjacking), no sniffing, no referrer beyond the origin */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** hashed by Next.js into their names, so they never change under a URL: cached for a year */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** pages and everything else: revalidated each time (a 304 by ETag), so a rebuild shows at once */
export const REVALIDATE = 'no-cache';

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;

/**
 * The sha256 sources of a page's inline scripts (Next.js puts its RSC payload and our theme
 * boot script inline), so the page's CSP can allow exactly those and no other inline script.
 */
export function inlineScriptHashes(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(INLINE_SCRIPT)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue;
    out.add(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`);
  }
  return [...out];
}

/**
 * A page's Content-Security-Policy: scripts only from the agent's origin and the page's own
 * inline scripts by hash; data only from the agent (tRPC over HTTP and its WebSocket);
 * no plugins, no framing, no <base> games, forms only to the agent. Inline styles stay
 * allowed: React's style props and xterm.js set them, and a style cannot run code.
 */
export function pageCsp(scriptHashes: string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${scriptHashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Whether `accept-encoding` allows `coding` (RFC 9110 §12.5.3): named with q > 0, or `*`
 * with q > 0 when it is not named at all.
 */
export function acceptsEncoding(header: string | string[] | undefined, coding: 'br' | 'gzip'): boolean {
  let star = false;
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => /^q=/i.test(p));
    const allowed = !q || Number(q.slice(2)) > 0;
    if (name.toLowerCase() === coding) return allowed;
    if (name === '*') star = allowed;
  }
  return star;
}
