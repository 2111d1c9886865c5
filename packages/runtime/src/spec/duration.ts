/**
 * Go's time.Duration text (`30s`, `1m30s`, `500ms`), as Docker's `--health-*` flags take
 * and its health messages print it. Nanoseconds as plain numbers: a year fits well
 * inside 2^53. Pure, so the CLI and the dashboard share it.
 */
const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(v: string): number | undefined {
  let rest = v.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (!rest) return undefined;
  let total = 0;
  while (rest) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0 ? '-' : '';
  let n = Math.abs(Math.round(ns));
  if (n < 1e3) return `${neg}${n}ns`;
  if (n < 1e6) return `${neg}${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${neg}${trim(n / 1e6)}ms`;
  let out = '';
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return `${neg}${out}${trim(n / 1e9)}s`;
}

const trim = (x: number) => String(Number(x.toFixed(9)));
