import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@skiff/logger';
import { requestHeaders, responseHeaders, switchingHead } from './headers.js';
import { socketPage } from './pages.js';
import type { LiveRoute } from './routes.js';
import type { Target } from './target.js';
import { roundRobin, whenConnected } from './upstreams.js';

export interface UpgradeOptions {
  connectTimeoutMs: number;
  /** how long the upstream may take to answer the upgrade request */
  upstreamTimeoutMs: number;
  /** every socket of a tunnel, so close() can end them */
  tunnels: Set<Duplex>;
  log: Logger;
}

/** joins the client's and the upstream's sockets both ways; either end closing closes both */
function tunnel(client: Duplex, upstream: Socket, tunnels: Set<Duplex>): void {
  upstream.setTimeout(0);
  upstream.setNoDelay(true);
  tunnels.add(client);
  tunnels.add(upstream);
  const done = () => {
    tunnels.delete(client);
    tunnels.delete(upstream);
    client.destroy();
    upstream.destroy();
  };
  client.once('close', done);
  upstream.once('close', done);
  client.on('error', done);
  upstream.on('error', done);
  client.pipe(upstream);
  upstream.pipe(client);
}

/**
 * An Upgrade request (WebSocket): the upstream's 101 joins the two sockets, any other answer
 * is passed on and the connection closed. Upstreams that cannot be connected to are skipped
 * as for plain requests; each upgrade has its own connection (it never returns to a pool).
 */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: LiveRoute,
  t: Target,
  proto: 'http' | 'https',
  o: UpgradeOptions,
): void {
  const next = roundRobin(route);
  const headers = requestHeaders(req, proto, t.host, req.headers.upgrade);
  const path = t.path;
  let current: ReturnType<typeof request> | undefined;
  let joined = false;
  const clientGone = () => {
    if (!joined) current?.destroy();
  };
  socket.once('close', clientGone);
  socket.on('error', (err) => o.log.debug('client socket failed during an upgrade', { domain: route.domain, err }));
  const attempt = (): void => {
    const up = next();
    if (!up) {
      o.log.warn('no upstream answered an upgrade', { domain: route.domain, owner: route.owner });
      socketPage(socket, route.upstreams.length ? 502 : 503);
      return;
    }
    let connected = false;
    let responded = false;
    const upReq = request({ host: up.host, port: up.port, method: req.method, path, headers, agent: false });
    current = upReq;
    upReq.setTimeout(o.upstreamTimeoutMs, () => upReq.destroy(new Error(`${up.host}:${up.port} did not answer the upgrade in ${o.upstreamTimeoutMs} ms`)));
    whenConnected(upReq, up, o.connectTimeoutMs, () => {
      connected = true;
    });
    upReq.end();
    upReq.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
      joined = true;
      socket.off('close', clientGone);
      if (socket.destroyed) return void upSocket.destroy();
      socket.write(switchingHead(upRes));
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      tunnel(socket, upSocket, o.tunnels);
    });
    upReq.on('response', (upRes) => {
      // refused: its answer goes back as is, the body delimited by the close
      responded = true;
      let text = `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}\r\n`;
      const h = responseHeaders(upRes);
      for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() !== 'content-length') text += `${h[i]}: ${h[i + 1]}\r\n`;
      socket.write(`${text}Connection: close\r\n\r\n`);
      upRes.pipe(socket);
      upRes.once('error', () => socket.destroy());
    });
    upReq.on('error', (err) => {
      if (joined || socket.destroyed) return;
      if (responded) return void socket.destroy();
      const fields = { domain: route.domain, upstream: `${up.host}:${up.port}`, err };
      if (!connected) {
        o.log.debug('upstream failed before the upgrade went out; trying the next', fields);
        return attempt();
      }
      o.log.warn('upstream failed during an upgrade', fields);
      socketPage(socket, 502);
    });
  };
  attempt();
}
