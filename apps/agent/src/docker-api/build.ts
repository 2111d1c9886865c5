import { PassThrough } from 'node:stream';
import { buildOptionsOf, parseBuildQuery } from '../daemon/build-stream.js';
import { API_VERSION, DockerApiError, sendJson } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { queryFilters } from './query.js';
import type { BuildBackend } from './backend.js';
import type { Route } from './route.js';

/** what dockerd's build cache prune takes (its BuildKit builder accepts label filters and ignores them) */
const BUILD_CACHE_FILTERS = ['until', 'unused-for', 'label', 'label!', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private'];

/**
 * `POST /build` for the classic builder protocol (the client uses it when /_ping says
 * `Builder-Version: 1`): the context tar in the body, Docker's `{"stream": …}` lines back,
 * `{"aux": {"ID": …}}` for the image, and a failure as the last `{"error": …}` line.
 */
export const BUILD_ROUTES: Route<BuildBackend>[] = [
  {
    method: 'POST',
    pattern: /^\/build$/,
    async handle({ req, res, url, runtime }) {
      const q = parseBuildQuery(url);
      const context = new PassThrough();
      req.pipe(context);
      const ac = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) ac.abort(new Error('the client went away: build cancelled'));
      });
      res.writeHead(200, { 'content-type': 'application/json', 'api-version': API_VERSION });
      const line = (o: unknown) => !res.destroyed && res.write(`${JSON.stringify(o)}\n`);
      const quiet = url.searchParams.get('q') === '1' || url.searchParams.get('q') === 'true';
      try {
        await runtime.buildFromArchive(context, {
          ...buildOptionsOf(q),
          signal: ac.signal,
          onEvent: (e) => {
            if (e.type === 'built') {
              line({ aux: { ID: e.id } });
              // quiet: the id is the only output (the client prints the stream it got)
              line({ stream: quiet ? `${e.id}\n` : `Successfully built ${e.id.replace(/^sha256:/, '').slice(0, 12)}\n` });
            } else if (quiet) return;
            else if (e.type === 'step' || e.type === 'status') line({ stream: `${e.text}\n` });
            else if (e.type === 'cached') line({ stream: ' ---> Using cache\n' });
            else if (e.type === 'output') line({ stream: e.data });
            else if (e.type === 'tagged') line({ stream: `Successfully tagged ${e.ref}\n` });
          },
        });
      } catch (e) {
        const message = (e as Error).message;
        line({ errorDetail: { message }, error: message });
        context.resume();
      }
      res.end();
    },
  },
  {
    // `docker builder prune`, and the last step of `docker system prune`
    method: 'POST',
    pattern: /^\/build\/prune$/,
    async handle({ res, url }) {
      const f = queryFilters(url);
      pruneFilter(f, BUILD_CACHE_FILTERS);
      if (f.until?.length && f['unused-for']?.length) throw new DockerApiError(400, 'conflicting filters: "until" and "unused-for"');
      // Skiff's build cache is the intermediate images themselves (the cache file only points
      // at them), which image prune removes: there is nothing else to reclaim
      sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 });
    },
  },
];
