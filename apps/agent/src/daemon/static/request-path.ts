/**
 * The decoded path of a request for a static file, or undefined when it cannot name one:
 * not origin-form, bad percent-encoding, a NUL, a backslash, or a `.`/`..` segment (encoded
 * or not; the URL parser would have resolved them, but a static file is never named so).
 * Files are looked up in the export's index by this path, never opened by it; the refusal
 * is a second wall.
 */
export function requestPath(url: string | undefined): string | undefined {
  if (!url?.startsWith('/') || url.startsWith('//')) return undefined;
  const raw = url.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(path)) return undefined;
  const segments = path.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  // "/a//b" and a trailing slash name the same file as "/a/b"
  const clean = `/${segments.filter(Boolean).join('/')}`;
  return clean;
}
