/**
 * Go `time.ParseDuration` syntax, which Compose uses for healthcheck timings and
 * stop_grace_period: `1m30s`, `500ms`, `1.5h`, `10us`. Returns nanoseconds.
 */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === '0') return 0;
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(t);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_NS[part[2]!]!;
  return Math.round(m[1] === '-' ? -total : total);
}
