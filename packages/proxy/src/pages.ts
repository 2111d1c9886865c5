import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The proxy's own answers: a status line as plain text and nothing else. No server name,
 * version, upstream address or error text leaves the proxy (those go to the agent's log).
 */
function body(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}\n`;
}

/** answers with a plain page; `close` when the request's body may still be arriving, so the connection is not reused mid-body */
export function sendPage(res: ServerResponse, status: number, close = false, extra?: Record<string, string>): void {
  if (res.headersSent) {
    // the status went out already: only a cut tells the client the response is incomplete
    res.destroy();
    return;
  }
  const text = body(status);
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers).end(text);
}

/** the same on a raw socket (an upgrade request, which has no ServerResponse), then closes it */
export function socketPage(socket: Duplex, status: number, extra: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body(status);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(extra)) head += `${k}: ${v}\r\n`;
  socket.end(`${head}\r\n${text}`);
}
