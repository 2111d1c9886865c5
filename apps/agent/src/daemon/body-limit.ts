import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookies, SESSION_COOKIE } from '../auth/authenticate.js';

/** tRPC bodies of a caller that sends no credentials at all (login, setup): a few fields */
export const ANONYMOUS_MAX_BODY = 64 * 1024;
/** the default for everyone else; a stack's compose file and .env are 1 MiB each at most */
export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

const hasCredentials = (req: IncomingMessage) => !!req.headers.authorization || !!parseCookies(req.headers.cookie)[SESSION_COOKIE];

/**
 * Refuses a tRPC body that announces more than the limit before any of it is read (the
 * connection is closed, so the rest is never received); a chunked body is cut at the limit
 * by tRPC's own maxBodySize. True when the request was answered here.
 */
export function refuseLargeBody(req: IncomingMessage, res: ServerResponse, maxBody: number): boolean {
  const limit = hasCredentials(req) ? maxBody : Math.min(maxBody, ANONYMOUS_MAX_BODY);
  const length = Number(req.headers['content-length'] ?? 0);
  if (!(length > limit)) return false;
  const body = JSON.stringify({
    error: { message: `request body too large: ${length} bytes, the limit is ${limit}`, code: -32600, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } },
  });
  res.shouldKeepAlive = false;
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  // the unread body is dropped with the connection (not drained: it may be hundreds of MB)
  res.once('finish', () => req.socket.destroySoon());
  return true;
}
