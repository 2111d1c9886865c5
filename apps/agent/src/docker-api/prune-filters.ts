import { InvalidArgument, parseDuration } from '@skiff/runtime';
import { labelMatches, timeNs } from './query.js';

/**
 * `until` as dockerd's prunes take it: a Go duration back from now (`24h`, `1h30m`; a bare
 * `0` is a timestamp), a unix timestamp or an RFC 3339 time. Unix seconds.
 */
function pruneUntil(v: string): number {
  const d = v === '0' ? undefined : parseDuration(v);
  if (d !== undefined) return Date.now() / 1000 - d / 1e9;
  const ns = timeNs(v);
  return ns === undefined ? Infinity : ns / 1e9;
}

export interface PruneFilter {
  /** a label or until filter is set: the runtime's own prune (everything unused) is not enough */
  narrowed: boolean;
  /** whether an unused object with these labels, created then (unix seconds, fractions kept: `until` may be one), goes */
  matches(labels: Record<string, string>, created: number): boolean;
}

/**
 * The filters of a prune endpoint, checked against the ones it takes (`invalid filter 'x'`
 * otherwise, as dockerd answers; a 400 on the Docker API, a bad argument on tRPC). Labels match as dockerd's matchLabels: every `label`
 * must match, and `label!` spares an object only when all of them match it.
 */
export function pruneFilter(f: Record<string, string[]>, accepted: readonly string[]): PruneFilter {
  for (const k of Object.keys(f)) if (!accepted.includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  if ((f.until?.length ?? 0) > 1) throw new InvalidArgument('more than one until filter specified');
  const until = f.until?.length ? pruneUntil(f.until[0]!) : undefined;
  const label = f.label ?? [];
  const notLabel = f['label!'] ?? [];
  return {
    narrowed: label.length > 0 || notLabel.length > 0 || until !== undefined,
    matches: (labels, created) =>
      (until === undefined || created <= until) &&
      label.every((l) => labelMatches(labels, l)) &&
      !(notLabel.length && notLabel.every((l) => labelMatches(labels, l))),
  };
}
