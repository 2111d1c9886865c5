import { DockerApiError, registryAuth, sendJson, sendTar } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { param, queryFilters, startJsonStream, unixSeconds } from './query.js';
import type { Route } from './containers.js';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** tag, history, push, save (get), load, prune */
export const IMAGE_EXTRA_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/images\/get$/,
    async handle({ res, url, runtime }) {
      const names = url.searchParams.getAll('names').flatMap((n) => n.split(',')).filter(Boolean);
      await sendTar(res, runtime.images.save(names));
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/load$/,
    async handle({ req, res, runtime }) {
      const ac = new AbortController();
      res.once('close', () => ac.abort());
      // the whole archive is checked before anything is registered: a failure is a plain error response
      const { loaded } = await runtime.images.load(req, { signal: ac.signal });
      const line = startJsonStream(res);
      // `quiet` (the CLI sets it when its output is not a terminal) only drops progress bars, which a load here has none of
      for (const l of loaded) line({ stream: l.startsWith('sha256:') ? `Loaded image ID: ${l}\n` : `Loaded image: ${l}\n` });
      res.end();
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/prune$/,
    async handle({ res, url, runtime }) {
      const f = queryFilters(url);
      const prune = pruneFilter(f, ['dangling', 'label', 'label!', 'until']);
      // `docker image prune -a` sends dangling=false: every unused image, tagged or not
      const all = f.dangling?.[0] === 'false' || f.dangling?.[0] === '0';
      const r = await runtime.images.prune({ all, match: prune.narrowed ? (i) => prune.matches(i.labels, Date.parse(i.created) / 1000) : undefined });
      sendJson(res, 200, { ImagesDeleted: [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))], SpaceReclaimed: r.spaceReclaimed });
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/get$/,
    async handle(c) {
      await sendTar(c.res, c.runtime.images.save([param(c)]));
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/(.+)\/tag$/,
    async handle(c) {
      const repo = c.url.searchParams.get('repo');
      if (!repo) throw new DockerApiError(400, 'repo is required');
      const tag = c.url.searchParams.get('tag') || 'latest';
      await c.runtime.images.tag(param(c), `${repo}:${tag}`);
      c.res.writeHead(201, { 'content-length': 0 }).end();
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/history$/,
    async handle(c) {
      const img = await c.runtime.images.inspect(param(c));
      const h = await c.runtime.images.history(img.id);
      sendJson(
        c.res,
        200,
        h.map((e) => ({ Id: e.id, Created: unixSeconds(e.created), CreatedBy: e.createdBy, Tags: e.id === img.id ? img.repoTags : null, Size: e.size, Comment: e.comment })),
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/(.+)\/push$/,
    async handle(c) {
      const name = param(c);
      const tag = c.url.searchParams.get('tag');
      const ref = tag ? `${name}:${tag}` : name;
      // the image must exist before the stream starts (Docker answers 404 then)
      await c.runtime.images.inspect(ref);
      const line = startJsonStream(c.res);
      line({ status: `The push refers to repository [${name}]` });
      try {
        const seen = new Set<string>();
        const r = await c.runtime.images.push(ref, {
          auth: registryAuth(c.req.headers['x-registry-auth']),
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
