import type { ServerResponse } from 'node:http';
import { InvalidArgument } from '@skiff/runtime';
import { API_VERSION, DockerApiError } from './http.js';

/** `?filters={"label":["a=b"]}` (values as a list, or as Docker's old {"v":true} map) */
export function queryFilters(url: URL): Record<string, string[]> {
  const raw = url.searchParams.get('filters');
  if (!raw) return {};
  try {
    const f = JSON.parse(raw) as Record<string, string[] | Record<string, boolean>>;
    return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x])]));
  } catch {
    throw new DockerApiError(400, 'invalid filters');
  }
}

/** a label filter (`k` or `k=v`) against a label map */
export function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const eq = expr.indexOf('=');
  return eq < 0 ? expr in labels : labels[expr.slice(0, eq)] === expr.slice(eq + 1);
}

/** a JSON-lines stream (pull/push/load progress, events, stats): headers go out at once */
export function startJsonStream(res: ServerResponse): (o: unknown) => boolean {
  res.writeHead(200, { 'content-type': 'application/json', 'api-version': API_VERSION });
  res.flushHeaders();
  return (o) => res.write(`${JSON.stringify(o)}\n`);
}

/** RFC3339 → unix seconds */
export const unixSeconds = (iso: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

/** `since` / `until` as the client sends them: unix seconds with optional `.nanoseconds` */
export function timeNs(v: string | null): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid timestamp: ${v}`);
  return t * 1e6;
}
