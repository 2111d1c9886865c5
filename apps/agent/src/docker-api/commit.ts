import { DockerApiError, isZero, readJsonBody, repoTag, sendJson } from './http.js';
import type { CommitBackend } from './backend.js';
import type { Route } from './route.js';

/** dockerd's BoolValueOrDefault: absent is the default; "", "0", "no", "false", "none" are false */
function boolOr(v: string | null, fallback: boolean): boolean {
  if (v === null) return fallback;
  return !['', '0', 'no', 'false', 'none'].includes(v.toLowerCase());
}

/**
 * `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=` (`docker commit`):
 * the container's changes as a new image, through the runtime's commit. A running
 * container is frozen while its layer is written unless `pause` is false, as in dockerd.
 */
export const COMMIT_ROUTES: Route<CommitBackend>[] = [
  {
    method: 'POST',
    pattern: /^\/commit$/,
    async handle({ req, res, url, runtime }) {
      const q = url.searchParams;
      const container = q.get('container');
      if (!container) throw new DockerApiError(400, 'a container is required (?container=)');
      // dockerd merges a Config body into the container's; the CLI sends none, and `changes` covers the rest
      const config = await readJsonBody<Record<string, unknown> | null>(req);
      if (config && !Object.values(config).every(isZero)) {
        throw new DockerApiError(400, 'a container config in the commit body is not supported by Skiff: give it as changes (docker commit -c)');
      }
      const { id } = await runtime.containers.commit(container, {
        ref: repoTag(q.get('repo'), q.get('tag')),
        message: q.get('comment') || undefined,
        author: q.get('author') || undefined,
        changes: q.getAll('changes').filter(Boolean),
        pause: boolOr(q.get('pause'), true),
      });
      sendJson(res, 201, { Id: id });
    },
  },
];
