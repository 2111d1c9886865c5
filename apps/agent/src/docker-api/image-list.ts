import type { ImageSummary as DockerImageSummary } from '@skiff/docker-types';
import { pathPattern, type ImageSummary } from '@skiff/runtime';
import type { ImageBackend } from './backend.js';
import { DockerApiError } from './http.js';
import { pruneFilter } from './prune-filters.js';
import { queryFilters, unixSeconds } from './query.js';

/** what dockerd's image list takes; anything else is `invalid filter 'x'` */
const IMAGE_LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

/** filters.Args.GetBoolOrDefault: one value, a Go boolean */
function danglingFilter(values: string[] | undefined): boolean | undefined {
  if (!values?.length) return undefined;
  const v = values.length === 1 ? values[0] : undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new DockerApiError(400, `invalid filter 'dangling=${values.join(',')}'`);
}

/** `before` keeps what is older than the oldest image named, `since` what is newer than the newest */
async function createdBound(runtime: ImageBackend, refs: string[] | undefined, pick: (a: number, b: number) => number): Promise<number | undefined> {
  let bound: number | undefined;
  for (const ref of refs ?? []) {
    const created = Date.parse((await runtime.images.inspect(ref)).created);
    bound = bound === undefined ? created : pick(bound, created);
  }
  return bound;
}

/** the name part of `name:tag` or `name@digest` (a registry's port has no `/` after it) */
const nameOf = (ref: string) => ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');

/**
 * `GET /images/json` as dockerd lists: the filters `dangling`, `label` (on the config's
 * labels), `before` / `since` (an image), `until` and `reference` (Go path patterns against
 * each name, as `repo:tag` and as `repo`; only the names that match are listed, and an
 * image with none is left out).
 */
export async function listImages(runtime: ImageBackend, url: URL, all: boolean): Promise<DockerImageSummary[]> {
  const f = queryFilters(url);
  // label and until match as the prunes do (every label; created at or before until)
  const match = pruneFilter(f, IMAGE_LIST_FILTERS);
  const dangling = danglingFilter(f.dangling);
  const before = await createdBound(runtime, f.before, Math.min);
  const since = await createdBound(runtime, f.since, Math.max);
  // a malformed pattern is Go's ErrBadPattern, which dockerd passes on untyped (a 500)
  const patterns = f.reference?.map((r) => {
    try {
      return pathPattern(r);
    } catch {
      throw new DockerApiError(500, 'syntax error in pattern');
    }
  });
  const named = (ref: string) => !patterns || patterns.some((p) => p.test(ref) || p.test(nameOf(ref)));
  const keep = (i: ImageSummary) => {
    const created = Date.parse(i.created);
    return (
      (dangling === undefined || (i.repoTags.length === 0) === dangling) &&
      match.matches(i.labels, created / 1000) &&
      (before === undefined || created < before) &&
      (since === undefined || created > since)
    );
  };
  const out: DockerImageSummary[] = [];
  for (const i of await runtime.images.list({ all })) {
    if (!keep(i)) continue;
    const repoTags = i.repoTags.filter(named);
    const repoDigests = i.repoDigests.filter(named);
    if (patterns && !repoTags.length && !repoDigests.length) continue;
    out.push({
      Id: i.id,
      ParentId: i.parentId,
      RepoTags: repoTags,
      RepoDigests: repoDigests,
      Created: unixSeconds(i.created),
      Size: i.size,
      SharedSize: -1,
      Labels: Object.keys(i.labels).length ? i.labels : null,
      Containers: -1,
    });
  }
  return out;
}
