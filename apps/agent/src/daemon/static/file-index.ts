import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '@skiff/logger';
import { contentType, inlineScriptHashes, pageCsp } from './headers.js';

const log = logger.child({ component: 'web' });

/**
 * The segment value a dynamic route (`app/containers/[id]`) is exported for: its one built
 * page answers for every value (the page reads the real one from the URL).
 */
export const PLACEHOLDER = '_';

/** precompressed copies made at build (apps/web/scripts/precompress.mjs), next to the file */
const VARIANTS = { br: '.br', gzip: '.gz' } as const;
export type Coding = keyof typeof VARIANTS;

export interface StaticFile {
  /** where it is on disk, inside the export directory */
  path: string;
  type: string;
  variants: Partial<Record<Coding, string>>;
  /** pages only: the Content-Security-Policy allowing their own inline scripts */
  csp?: string;
}

export interface FileIndex {
  /** by URL path ("/containers/_.html"); only regular files found in the export directory */
  files: Map<string, StaticFile>;
  /** every directory and every file path without its extension: what a URL may walk through */
  prefixes: Set<string>;
}

/**
 * Reads the export directory once into a map from URL path to file. Requests are answered
 * from this map only, never by joining a request's path onto the directory, so nothing
 * outside it can be named. Symbolic links are not followed (a link in the build is skipped
 * and logged); precompressed `.br`/`.gz` copies become variants of their file, not URLs.
 */
export async function indexExport(dir: string): Promise<FileIndex> {
  const found = new Map<string, string>();
  const prefixes = new Set<string>(['']);
  const walk = async (disk: string, url: string): Promise<void> => {
    for (const e of await readdir(disk, { withFileTypes: true })) {
      const path = join(disk, e.name);
      const at = `${url}/${e.name}`;
      if (e.isDirectory()) {
        prefixes.add(at);
        await walk(path, at);
      } else if (e.isFile()) found.set(at, path);
      else log.warn('not serving a dashboard file that is not a regular file', { path, symlink: e.isSymbolicLink() });
    }
  };
  if (!(await lstat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);
  await walk(dir, '');

  const files = new Map<string, StaticFile>();
  for (const [url, path] of found) {
    if (Object.values(VARIANTS).some((ext) => url.endsWith(ext) && found.has(url.slice(0, -ext.length)))) continue;
    const variants: StaticFile['variants'] = {};
    for (const [coding, ext] of Object.entries(VARIANTS) as [Coding, string][]) if (found.has(url + ext)) variants[coding] = found.get(url + ext)!;
    const type = contentType(url);
    const csp = type.startsWith('text/html') ? pageCsp(inlineScriptHashes(await readFile(path, 'utf8'))) : undefined;
    files.set(url, { path, type, variants, csp });
    prefixes.add(url.replace(/\.[^./]*$/, ''));
  }
  return { files, prefixes };
}

/**
 * The file a URL path names: itself, `<path>.html`, `<path>/index.html`; failing that, with
 * each segment that names no static route replaced by the placeholder where a dynamic route
 * was exported (`/containers/4f1c…` → `/containers/_.html`, `/containers/4f1c….txt` →
 * `/containers/_.txt`). Static routes win (`/stacks/new` is its own page). `path` is decoded
 * and has no `.`/`..` segments (resolve.ts checks).
 */
export function lookup(index: FileIndex, path: string): StaticFile | undefined {
  const direct = (p: string) => index.files.get(p) ?? index.files.get(`${p}.html`) ?? index.files.get(`${p === '/' ? '' : p}/index.html`);
  const hit = direct(path);
  if (hit) return hit;
  const segments = path.split('/').slice(1);
  let at = '';
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    if (index.prefixes.has(`${at}/${seg}`) || (last && index.files.has(`${at}/${seg}`))) {
      at += `/${seg}`;
      continue;
    }
    if (!index.prefixes.has(`${at}/${PLACEHOLDER}`)) return undefined;
    // the last segment keeps its extension: a payload (`.txt`) of the page
    const ext = last ? (/\.[a-z]+$/.exec(seg)?.[0] ?? '') : '';
    at += `/${PLACEHOLDER}${ext && index.files.has(`${at}/${PLACEHOLDER}${ext}`) ? ext : ''}`;
  }
  return direct(at);
}
