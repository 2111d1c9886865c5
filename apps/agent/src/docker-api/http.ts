import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSkiffError } from '@skiff/runtime';
import { HTTP_STATUS } from '../http-status.js';

/** The Engine API version served; the docker client negotiates down to it through /_ping. */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function statusOf(e: unknown): number {
  return e instanceof DockerApiError ? e.status : isSkiffError(e) ? HTTP_STATUS[e.code] : 500;
}

/** `/v1.47/containers/json` → `/containers/json`: every version we serve behaves the same */
export function routePath(url: URL): string {
  return url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
}

/** Docker's error body, `{"message": …}`, with the status a runtime error maps to */
export function sendError(res: ServerResponse, e: unknown): void {
  const status = statusOf(e);
  const message = dockerMessage(e instanceof Error ? e.message : String(e));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
}

/**
 * Docker's wording where clients parse it: docker-py (and so docker-compose) tells a
 * missing image from other 404s by "No such image", with that capital N.
 */
export function dockerMessage(message: string): string {
  return message.replace(/^no such (image|container)/, (_m, what: string) => `No such ${what}`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'api-version': API_VERSION, 'content-length': Buffer.byteLength(data) }).end(data);
}

export async function readJsonBody<T>(req: IncomingMessage, limit = 4 * 1024 * 1024): Promise<T | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new DockerApiError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  if (!size) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch {
    throw new DockerApiError(400, 'invalid JSON body');
  }
}

export const truthy = (v: string | null) => v === '1' || v === 'true' || v === 'True';

/** `X-Registry-Auth`: base64(url) JSON {username, password}; an empty `{}` means none */
export function registryAuth(header: string | string[] | undefined): { username: string; password: string } | undefined {
  if (typeof header !== 'string' || !header) return undefined;
  try {
    const a = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { username?: string; password?: string };
    return a.username ? { username: a.username, password: a.password ?? '' } : undefined;
  } catch {
    return undefined;
  }
}
