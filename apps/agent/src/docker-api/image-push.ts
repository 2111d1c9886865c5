import { InvalidArgument } from '@skiff/runtime';
import type { ImageBackend } from './backend.js';
import { registryAuth } from './http.js';
import { startJsonStream } from './query.js';
import { param, type Route } from './route.js';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/**
 * `POST /images/{name}/push` (`docker push`): dockerd's progress lines per layer, and the
 * digest the registry took as the last lines; a failure once the stream runs is its last line.
 * `compression=zstd` is Skiff's own parameter (Docker has none): plain-tar layers as zstd.
 */
export const IMAGE_PUSH_ROUTES: Route<ImageBackend>[] = [
  {
    method: 'POST',
    pattern: /^\/images\/(.+)\/push$/,
    async handle(c) {
      const name = param(c);
      const tag = c.url.searchParams.get('tag');
      const ref = tag ? `${name}:${tag}` : name;
      const compression = c.url.searchParams.get('compression') ?? 'gzip';
      if (compression !== 'gzip' && compression !== 'zstd') throw new InvalidArgument(`invalid compression: ${compression} (gzip or zstd)`);
      // the image must exist before the stream starts (Docker answers 404 then)
      await c.runtime.images.inspect(ref);
      const line = startJsonStream(c.res);
      line({ status: `The push refers to repository [${name}]` });
      try {
        const seen = new Set<string>();
        const r = await c.runtime.images.push(ref, {
          auth: registryAuth(c.req.headers['x-registry-auth']),
          compression,
          onProgress: (p) => {
            if (p.id === 'manifest' || p.id === 'config') return;
            const id = short(p.id);
            if (p.status === 'exists') line({ status: 'Layer already exists', id });
            else if (p.status === 'done') line({ status: 'Pushed', id });
            else if (p.status === 'downloading') {
              if (!seen.has(id)) line({ status: 'Preparing', id });
              seen.add(id);
              line({ status: 'Pushing', id, ...(p.total ? { progressDetail: { current: p.current ?? 0, total: p.total } } : {}) });
            } else if (p.status === 'waiting') line({ status: 'Waiting', id });
          },
        });
        line({ status: `${tag ?? 'latest'}: digest: ${r.digest}` });
        line({ progressDetail: {}, aux: { Tag: tag ?? 'latest', Digest: r.digest, Size: 0 } });
      } catch (e) {
        line({ errorDetail: { message: (e as Error).message }, error: (e as Error).message });
      }
      c.res.end();
    },
  },
];
