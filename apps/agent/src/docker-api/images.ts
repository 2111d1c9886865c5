import type { ImageBackend } from './backend.js';
import { importImage } from './image-import.js';
import { imageJson } from './image-json.js';
import { listImages } from './image-list.js';
import { pullImage } from './image-pull.js';
import { DockerApiError, sendJson, sendTar, truthy } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { queryFilters, startJsonStream, unixSeconds } from './query.js';
import { param, type Route } from './route.js';

/** Docker's image endpoints over runtime.images: list, pull and import, inspect, remove, save, load, prune, tag, history */
export const IMAGE_ROUTES: Route<ImageBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/images\/json$/,
    async handle({ res, url, runtime }) {
      sendJson(res, 200, await listImages(runtime, url, truthy(url.searchParams.get('all'))));
    },
  },
  {
    method: 'POST',
    pattern: /^\/images\/create$/,
    async handle(c) {
      if (c.url.searchParams.has('fromSrc')) return importImage(c);
      const from = c.url.searchParams.get('fromImage');
      if (!from) throw new DockerApiError(400, 'fromImage or fromSrc is required');
      await pullImage(c, from);
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/(.+)\/json$/,
    async handle(c) {
      sendJson(c.res, 200, imageJson(await c.runtime.images.inspect(param(c))));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/images\/(.+)$/,
    async handle(c) {
      const r = await c.runtime.images.remove(param(c), { force: truthy(c.url.searchParams.get('force')), noPrune: truthy(c.url.searchParams.get('noprune')) });
      sendJson(c.res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]);
    },
  },
  {
    method: 'GET',
    pattern: /^\/images\/get$/,
    async handle({ res, url, runtime }) {
      const names = url.searchParams
        .getAll('names')
        .flatMap((n) => n.split(','))
        .filter(Boolean);
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
      sendJson(res, 200, {
        ImagesDeleted: [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))],
        SpaceReclaimed: r.spaceReclaimed,
      });
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
        h.map((e) => ({
          Id: e.id,
          Created: unixSeconds(e.created),
          CreatedBy: e.createdBy,
          Tags: e.id === img.id ? img.repoTags : null,
          Size: e.size,
          Comment: e.comment,
        })),
      );
    },
  },
];
