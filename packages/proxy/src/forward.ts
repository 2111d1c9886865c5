import { request, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@skiff/logger';
import { hasBody, requestHeaders, responseHeaders } from './headers.js';
import { sendPage } from './pages.js';
import type { LiveRoute } from './routes.js';
import type { Target } from './target.js';
import { roundRobin, UpstreamTimeoutError, whenConnected } from './upstreams.js';

export interface ForwardOptions {
  agent: Agent;
  connectTimeoutMs: number;
  upstreamTimeoutMs: number;
  log: Logger;
}

/**
 * Forwards one request to the route's upstreams, streaming both bodies. An upstream that
 * cannot be connected to is skipped for the next (a replica gone during a redeploy); so is
 * a pooled connection the upstream had just closed, for a request without a body (nothing of
 * it can have been acted on). Anything else after the request went out is a 502, or a cut
 * if the response had begun.
 */
export function forward(req: IncomingMessage, res: ServerResponse, route: LiveRoute, t: Target, proto: 'http' | 'https', o: ForwardOptions): void {
  const next = roundRobin(route);
  const body = hasBody(req);
  const headers = requestHeaders(req, proto, t.host);
  const path = t.path;
  let current: ReturnType<typeof request> | undefined;
  // the client went away: the upstream's work for it stops too
  res.once('close', () => {
    if (!res.writableFinished) current?.destroy();
  });
  const attempt = (): void => {
    const up = next();
    if (!up) {
      o.log.warn('no upstream answered', { domain: route.domain, owner: route.owner });
      sendPage(res, route.upstreams.length ? 502 : 503, body);
      return;
    }
    let connected = false;
    let responded = false;
    const upReq = request({ host: up.host, port: up.port, method: req.method, path, headers, agent: o.agent });
    current = upReq;
    upReq.setTimeout(o.upstreamTimeoutMs, () => upReq.destroy(new UpstreamTimeoutError(up, o.upstreamTimeoutMs)));
    whenConnected(upReq, up, o.connectTimeoutMs, () => {
      connected = true;
      // the body is read only once a connection is there, so a failed connect leaves it for the next upstream
      if (body) req.pipe(upReq);
    });
    if (!body) upReq.end();
    upReq.on('response', (upRes) => {
      responded = true;
      res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes));
      upRes.pipe(res);
      // an upstream that dies mid-body: the client must not take a cut body for a whole one
      upRes.once('aborted', () => res.destroy());
      upRes.once('error', () => res.destroy());
    });
    upReq.on('error', (err: NodeJS.ErrnoException) => {
      if (res.destroyed || res.writableFinished) return;
      const retry = !connected || (!body && !responded && upReq.reusedSocket && err.code === 'ECONNRESET');
      const fields = { domain: route.domain, upstream: `${up.host}:${up.port}`, err };
      if (retry) {
        o.log.debug('upstream failed before the request went out; trying the next', fields);
        return attempt();
      }
      if (responded) return void res.destroy();
      o.log.warn('upstream failed', fields);
      sendPage(res, err instanceof UpstreamTimeoutError ? 504 : 502, body);
    });
  };
  attempt();
}
