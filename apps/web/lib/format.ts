/** 1536 → "1.5 KiB" */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** ms since the epoch for a unix-seconds, ms or ISO time; NaN when unknown */
const msOf = (t: number | string): number => (typeof t === 'string' ? Date.parse(t) : t < 1e11 ? t * 1000 : t);

/**
 * Whether a time is known. Images pulled or loaded without a `created` carry the epoch (or
 * Go's zero time) in its place, which must not read as "56 years ago".
 */
export const knownTime = (t: number | string | undefined | null): t is number | string =>
  t !== undefined && t !== null && t !== '' && Number.isFinite(msOf(t)) && msOf(t) > 0;

/** "N/A", as the docker CLI says for a time an image does not record */
export const UNKNOWN_TIME = 'N/A';

/** "2026-12-07 19:40:05 (3 minutes ago)", or N/A */
export function when(t: number | string | undefined | null, now = Date.now()): string {
  if (!knownTime(t)) return UNKNOWN_TIME;
  const d = new Date(msOf(t));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} (${ago(t, now)})`;
}

/** "3 minutes ago" for a unix-seconds, ms or ISO time; N/A for one not known */
export function ago(t: number | string, now = Date.now()): string {
  if (!knownTime(t)) return UNKNOWN_TIME;
  const ms = msOf(t);
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86400), 'day');
}
