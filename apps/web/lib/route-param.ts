/**
 * The value a dynamic route is exported for. The dashboard is a static export served by the
 * agent (apps/agent/src/daemon/web.ts), so `app/containers/[id]` is built once, for this
 * value, and the agent answers every `/containers/<id>` with that page (and its payloads);
 * the page reads the real value from the URL (components/use-route-param.ts). Must match
 * PLACEHOLDER in apps/agent/src/daemon/static/file-index.ts.
 */
export const ROUTE_PLACEHOLDER = '_';

/** for a dynamic segment's layout (`generateStaticParams`): the one page the export builds */
export const placeholderParams = <K extends string>(key: K) => [{ [key]: ROUTE_PLACEHOLDER } as Record<K, string>];

/** the decoded path segment after `prefix`, or undefined when the path is not under it */
export function segmentAfter(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const raw = path.slice(prefix.length).split('/')[0];
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
