import { InvalidArgument, pathPattern, SkiffError, type ImageSummary } from '@skiff/runtime';
import { pruneFilter } from './docker-api/prune-filters.js';

/** what dockerd's image list takes; anything else is `invalid filter 'x'` */
export const IMAGE_LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'] as const;

/** filters.Args.GetBoolOrDefault: one value, a Go boolean */
function danglingFilter(values: string[] | undefined): boolean | undefined {
  if (!values?.length) return undefined;
  const v = values.length === 1 ? values[0] : undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgument(`invalid filter 'dangling=${values.join(',')}'`);
}

/** `before` keeps what is older than the oldest image named, `since` what is newer than the newest */
async function createdBound(
  inspect: (ref: string) => Promise<{ created: string }>,
  refs: string[] | undefined,
  pick: (a: number, b: number) => number,
): Promise<number | undefined> {
  let bound: number | undefined;
  for (const ref of refs ?? []) {
    const created = Date.parse((await inspect(ref)).created);
    bound = bound === undefined ? created : pick(bound, created);
  }
  return bound;
}

/** the name part of `name:tag` or `name@digest` (a registry's port has no `/` after it) */
const nameOf = (ref: string) => ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');

/** Go's path.Match patterns; a malformed one is Go's ErrBadPattern, which dockerd passes on untyped (a 500) */
function referencePatterns(refs: string[] | undefined): RegExp[] | undefined {
  return refs?.map((r) => {
    try {
      return pathPattern(r);
    } catch (e) {
      throw new SkiffError('INTERNAL', 'syntax error in pattern', { cause: e });
    }
  });
}

/**
 * An image list filtered as dockerd's `GET /images/json` filters it (the Docker API and
 * `skiff images --filter` both): `dangling`, `label` (on the config's labels), `before` /
 * `since` (an image), `until` and `reference` (Go path patterns against each name, as
 * `repo:tag` and as `repo`; only the names that match are kept, and an image with none is
 * left out). An unknown key is `invalid filter 'x'`, as dockerd answers.
 */
export async function filterImages(
  images: ImageSummary[],
  f: Record<string, string[]>,
  inspect: (ref: string) => Promise<{ created: string }>,
): Promise<ImageSummary[]> {
  // label and until match as the prunes do (every label; created at or before until)
  const match = pruneFilter(f, IMAGE_LIST_FILTERS);
  const dangling = danglingFilter(f.dangling);
  const before = await createdBound(inspect, f.before, Math.min);
  const since = await createdBound(inspect, f.since, Math.max);
  const patterns = referencePatterns(f.reference);
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
  const out: ImageSummary[] = [];
  for (const i of images) {
    if (!keep(i)) continue;
    const repoTags = i.repoTags.filter(named);
    const repoDigests = i.repoDigests.filter(named);
    if (patterns && !repoTags.length && !repoDigests.length) continue;
    out.push({ ...i, repoTags, repoDigests });
  }
  return out;
}
