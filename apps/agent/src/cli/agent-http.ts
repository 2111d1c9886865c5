import { request, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { agentAddress } from './client.js';
import { CliError } from './errors.js';
import { io } from './io.js';

/**
 * One plain HTTP request to the agent's binary-stream endpoints (`/api/...`), over the
 * same unix socket or TCP address as the WebSocket. Resolves with the response once its
 * status is 2xx; an error status becomes a CliError with the agent's `{ message }`.
 * A request body is streamed (chunked), never buffered.
 */
export function agentRequest(method: 'GET' | 'POST', path: string, body?: Readable | NodeJS.ReadableStream): Promise<IncomingMessage> {
  const addr = agentAddress();
  return new Promise((resolve, reject) => {
    const req = request({ ...addr.http, method, path, signal: io().signal, headers: body ? { 'content-type': 'application/x-tar' } : {} }, (res) => {
      if ((res.statusCode ?? 500) < 300) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let message = text.trim() || `the agent answered ${res.statusCode}`;
        message = jsonMessage(text) ?? message;
        reject(new CliError(message));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // the agent may answer (and close) before the whole upload was sent: its answer wins
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET')
        return setTimeout(() => reject(new CliError(`the connection to the agent at ${addr.display} was cut: ${e.message}`)), 200);
      reject(new CliError(`cannot connect to the skiff agent at ${addr.display}: ${e.message}`));
    });
    if (body) {
      body.on('error', (e) => {
        req.destroy(e);
        reject(new CliError((e as Error).message));
      });
      body.pipe(req);
    } else req.end();
  });
}

/** Reads a JSON response. */
export async function readJson<T>(res: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** the `message` of a JSON error body; undefined for a body that is not JSON (a proxy's page) */
function jsonMessage(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { message?: string }).message;
  } catch {
    return undefined;
  }
}
