import { platformFetch } from './http-fetch.js';
import { Readable } from 'node:stream';
import { InvalidArgument, NotFound, SkiffError, Unauthorized, Unavailable } from '../errors.js';
import { basicHeader, fetchBearerToken, parseChallenge, type Credentials } from './registry-auth.js';
import { registryEndpoint } from './reference.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'registry' });

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Docker's limit: manifests are small JSON documents; anything bigger is refused unread */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  // leaving the loop by throwing cancels the body
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > limit) throw new InvalidArgument(`${what} is larger than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export interface RegistryClientOptions {
  registry: string;
  insecure?: boolean;
  credentials?: Credentials;
}

/**
 * A small OCI Distribution API v2 client: manifests, blobs, uploads, with the Docker
 * auth flow (anonymous or credentialed bearer tokens per repository scope, or basic).
 */
export class RegistryClient {
  private readonly base: string;
  private readonly tokens = new Map<string, string>();
  private basicOnly = false;

  constructor(private readonly opts: RegistryClientOptions) {
    this.base = `${opts.insecure ? 'http' : 'https'}://${registryEndpoint(opts.registry)}`;
  }

  /**
   * One API request with the auth flow. `body` may be a function: a streamed body can be
   * sent once only, so the retry after an auth challenge asks for a fresh one.
   */
  private async request(
    repo: string,
    path: string,
    init: Omit<RequestInit, 'body'> & { push?: boolean; body?: BodyInit | (() => BodyInit) } = {},
  ): Promise<Response> {
    const scope = `repository:${repo}:${init.push ? 'pull,push' : 'pull'}`;
    const url = path.startsWith('http') ? path : `${this.base}/v2/${repo}/${path}`;
    const { push: _push, body, ...rest } = init;
    const send = (auth?: string) => {
      const headers = new Headers(init.headers);
      if (auth) headers.set('authorization', auth);
      const b = typeof body === 'function' ? body() : body;
      const streamed = b instanceof ReadableStream;
      return platformFetch(url, { ...rest, body: b, headers, redirect: 'follow', ...(streamed ? { duplex: 'half' } : {}) } as RequestInit);
    };
    let res: Response;
    try {
      const token = this.tokens.get(scope);
      res = await send(token ? `Bearer ${token}` : this.basicOnly && this.opts.credentials ? basicHeader(this.opts.credentials) : undefined);
      if (res.status !== 401) return res;
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      if (!challenge) throw new Unauthorized(`${this.opts.registry}: unauthorized`);
      if (challenge.scheme === 'basic') {
        if (!this.opts.credentials) throw new Unauthorized(`${this.opts.registry} requires a login (basic auth): no credentials given`);
        this.basicOnly = true;
        res = await send(basicHeader(this.opts.credentials));
      } else {
        const t = await fetchBearerToken(challenge, scope, this.opts.credentials).catch((e: Error & { status?: number }) => {
          throw e.status ? new Unauthorized(e.message) : new Unavailable(e.message);
        });
        this.tokens.set(scope, t);
        res = await send(`Bearer ${t}`);
      }
      if (res.status === 401) {
        await res.body?.cancel();
        const what = `${init.push ? 'push' : 'pull'} access denied for ${this.opts.registry}/${repo}`;
        throw new Unauthorized(
          this.opts.credentials ? `${what}: the registry refused these credentials` : `${what}, repository does not exist or may require authentication`,
        );
      }
      return res;
    } catch (e) {
      // a cancelled request is the caller's doing, not an unreachable registry
      if (e instanceof SkiffError || (e as Error).name === 'AbortError') throw e;
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new Unavailable(`cannot reach registry ${this.opts.registry}: ${cause?.code ?? (e as Error).message}`, { cause: e });
    }
  }

  /**
   * What `docker login` does: `GET /v2/` with these credentials through whatever auth the
   * registry asks for (basic, or a bearer token with no scope). Resolves when they are
   * accepted (or the registry needs none); throws Unauthorized when refused.
   */
  async checkLogin(signal?: AbortSignal): Promise<void> {
    const url = `${this.base}/v2/`;
    const refused = () => new Unauthorized(`login to ${this.opts.registry} failed: the registry refused these credentials`);
    try {
      let res = await platformFetch(url, { signal });
      if (res.status !== 401) {
        await res.body?.cancel();
        if (!res.ok) throw new Unavailable(`${this.opts.registry}: /v2/ answered ${res.status}; is this a registry?`);
        return;
      }
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      if (!challenge || !this.opts.credentials) throw refused();
      let auth = basicHeader(this.opts.credentials);
      if (challenge.scheme !== 'basic') {
        const token = await fetchBearerToken(challenge, '', this.opts.credentials).catch((e: Error & { status?: number }) => {
          throw e.status ? refused() : new Unavailable(e.message);
        });
        auth = `Bearer ${token}`;
      }
      res = await platformFetch(url, { signal, headers: { authorization: auth } });
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) throw refused();
      if (!res.ok) throw new Unavailable(`${this.opts.registry}: /v2/ answered ${res.status}`);
    } catch (e) {
      if (e instanceof SkiffError || (e as Error).name === 'AbortError') throw e;
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new Unavailable(`cannot reach registry ${this.opts.registry}: ${cause?.code ?? (e as Error).message}`, { cause: e });
    }
  }

  private async failure(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { errors?: { code: string; message: string }[] };
      if (body.errors?.length) detail = body.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    } catch (e) {
      // not JSON (a proxy's HTML page): the raw text is the detail
      log.debug('a registry error body is not JSON', { status: res.status, err: e });
    }
    if (res.status === 404) throw new NotFound(`${what}: not found${detail ? ` (${detail})` : ''}`);
    if (res.status === 401 || res.status === 403) throw new Unauthorized(`${what}: access denied${detail ? ` (${detail})` : ''}`);
    if (res.status === 400) throw new InvalidArgument(`${what}: ${detail || 'bad request'}`);
    throw new Unavailable(`${what}: registry answered ${res.status}${detail ? ` (${detail})` : ''}`);
  }

  async getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<{ mediaType: string; body: Buffer; digest?: string }> {
    const res = await this.request(repo, `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT }, signal });
    if (!res.ok) {
      if (res.status === 404) {
        await res.body?.cancel();
        throw new NotFound(`manifest for ${this.opts.registry}/${repo}:${reference} not found: manifest unknown`);
      }
      return this.failure(res, `manifest ${this.opts.registry}/${repo}:${reference}`);
    }
    const body = await readLimited(res, MAX_MANIFEST_BYTES, `manifest ${this.opts.registry}/${repo}:${reference}`);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { mediaType, body, digest: res.headers.get('docker-content-digest') ?? undefined };
  }

  async getBlob(repo: string, digest: string, signal?: AbortSignal): Promise<{ stream: Readable; size?: number }> {
    const res = await this.request(repo, `blobs/${digest}`, { signal });
    if (!res.ok || !res.body) return this.failure(res, `blob ${digest}`);
    const len = res.headers.get('content-length');
    return { stream: Readable.fromWeb(res.body as never), size: len ? Number(len) : undefined };
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request(repo, `blobs/${digest}`, { method: 'HEAD', push: true });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (res.ok) return true;
    return this.failure(res, `blob ${digest}`);
  }

  /**
   * Monolithic upload: POST to open a session, PUT the bytes with the digest. `data` may be
   * a function returning a fresh stream of the blob (`size` bytes) for large blobs.
   */
  async uploadBlob(repo: string, digest: string, data: Buffer | { size: number; open: () => Readable }): Promise<void> {
    const start = await this.request(repo, 'blobs/uploads/', { method: 'POST', push: true });
    if (start.status !== 202) return this.failure(start, `starting upload of ${digest}`);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new Unavailable('registry did not return an upload location');
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const put = await this.request(repo, url.toString(), {
      method: 'PUT',
      push: true,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.isBuffer(data) ? data.length : data.size) },
      body: Buffer.isBuffer(data) ? new Uint8Array(data) : () => Readable.toWeb(data.open()) as ReadableStream,
    });
    if (put.status !== 201) return this.failure(put, `uploading ${digest}`);
    await put.body?.cancel();
  }

  async putManifest(repo: string, reference: string, mediaType: string, body: Buffer): Promise<void> {
    const res = await this.request(repo, `manifests/${reference}`, {
      method: 'PUT',
      push: true,
      headers: { 'content-type': mediaType },
      body: new Uint8Array(body),
    });
    if (res.status !== 201) return this.failure(res, `pushing manifest ${repo}:${reference}`);
    await res.body?.cancel();
  }
}
