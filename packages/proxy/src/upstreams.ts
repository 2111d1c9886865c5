import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { LiveRoute } from './routes.js';
import type { Upstream } from './types.js';

/**
 * The upstreams of one request in the order it tries them: each request starts one further
 * round (round-robin), then the rest follow as failover. undefined once all were tried.
 */
export function roundRobin(route: LiveRoute): () => Upstream | undefined {
  const ups = route.upstreams;
  const start = ups.length ? route.cursor % ups.length : 0;
  route.cursor = (route.cursor + 1) % 1_000_000_007;
  let i = 0;
  return () => (i < ups.length ? ups[(start + i++) % ups.length] : undefined);
}

/** an upstream that did not answer its connect in time (a replica gone mid-redeploy can drop SYNs) */
export class ConnectTimeoutError extends Error {
  readonly code = 'ECONNECT_TIMEOUT';
  constructor(upstream: Upstream, ms: number) {
    super(`connect to ${upstream.host}:${upstream.port} timed out after ${ms} ms`);
  }
}

/** an upstream that went silent longer than the proxy waits */
export class UpstreamTimeoutError extends Error {
  readonly code = 'EUPSTREAM_TIMEOUT';
  constructor(upstream: Upstream, ms: number) {
    super(`${upstream.host}:${upstream.port} sent nothing for ${ms} ms`);
  }
}

/**
 * Calls `connected` once the request's socket is connected: at once for a pooled one, after
 * the connect for a new one, which must come within `timeoutMs`. Until then nothing of the
 * request has reached the upstream, so a failure is safe to retry on the next one.
 */
export function whenConnected(req: ClientRequest, upstream: Upstream, timeoutMs: number, connected: () => void): void {
  req.once('socket', (s: Socket) => {
    if (!s.connecting) return connected();
    const timer = setTimeout(() => req.destroy(new ConnectTimeoutError(upstream, timeoutMs)), timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      connected();
    });
    s.once('close', () => clearTimeout(timer));
  });
}
