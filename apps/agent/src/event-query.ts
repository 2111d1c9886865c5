// What `docker events` and `skiff events` take, parsed the same on both sides (no imports: the CLI bundles it)

/** the filter keys `docker events` takes (dockerd's daemon/events/filter.go) */
export const EVENT_FILTER_KEYS = ['type', 'event', 'label', 'container', 'image', 'volume', 'network'] as const;
export type EventFilterKey = (typeof EVENT_FILTER_KEYS)[number];

export class InvalidEventTime extends Error {}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** a Go duration (`10m`, `1h30m`, `1.5h`) in nanoseconds, or undefined when `v` is not one */
function goDuration(v: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(v);
  if (!m) return undefined;
  let ns = 0;
  for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ns += Number(n) * UNIT_NS[unit!]!;
  return m[1] === '-' ? -ns : ns;
}

/**
 * `--since` / `--until` as dockerd and the docker CLI read them (timetypes.GetTimestamp): a
 * duration before now (`10m`), unix seconds with optional `.nanoseconds`, or a date/time
 * (RFC 3339, `2006-01-02`, `2006-01-02T15:04`). In nanoseconds since the epoch.
 */
export function eventTimeNs(v: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!v) return undefined;
  const d = v === '0' ? undefined : goDuration(v);
  if (d !== undefined) return Math.round(nowMs * 1e6 - d);
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (unix) return Number(unix[1]) * 1e9 + Number((unix[2] ?? '').padEnd(9, '0'));
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidEventTime(`failed to parse value as time or duration: "${v}"`);
  return t * 1e6;
}
