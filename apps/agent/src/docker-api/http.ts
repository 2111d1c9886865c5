import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { familiarName, parseReference } from '@skiff/runtime';

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

/** `/v1.47/containers/json` → `/containers/json`: every version we serve behaves the same */
export function routePath(url: URL): string {
  return url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'api-version': API_VERSION, 'content-length': Buffer.byteLength(data) }).end(data);
}

/** a tar (docker save, docker export), streamed; what fails before the first byte is an error answer, later the connection is cut */
export function sendTar(res: ServerResponse, tar: Readable): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-tar', 'api-version': API_VERSION });
  return pipeline(tar, res).catch(() => void res.destroy());
}

export async function readJsonBody<T>(req: IncomingMessage, limit = 4 * 1024 * 1024): Promise<T | undefined> {
  // an announced size over the limit is refused before a byte of it is read
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new DockerApiError(413, 'request body too large');
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

/** a Go zero value, which a client marshalling a struct sends for every field it did not set */
export const isZero = (v: unknown) => v === null || v === '' || v === false || v === 0 || (typeof v === 'object' && Object.keys(v as object).length === 0);

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

/**
 * The `repo` and `tag` parameters of commit and import as one `repo:tag` (dockerd's
 * RepoTagReference): no repo, no name (a dangling image); `tag` replaces one in `repo`.
 */
export function repoTag(repo: string | null, tag: string | null): string | undefined {
  if (!repo) return undefined;
  const r = parseReference(repo);
  if (r.digest) throw new DockerApiError(400, 'cannot import digest reference');
  const named = `${familiarName(r)}:${tag || r.tag || 'latest'}`;
  parseReference(named); // a bad tag is refused here, as dockerd's WithTag does
  return named;
}
