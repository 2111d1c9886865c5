import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSkiffError, type SkiffErrorCode } from '@skiff/runtime';

/** The Engine API version served; the docker client negotiates down to it through /_ping. */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

const STATUS: Record<SkiffErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Docker's error body, `{"message": …}`, with the status a runtime error maps to */
export function sendError(res: ServerResponse, e: unknown): void {
  const status = e instanceof DockerApiError ? e.status : isSkiffError(e) ? STATUS[e.code] : 500;
  const message = e instanceof Error ? e.message : String(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
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
