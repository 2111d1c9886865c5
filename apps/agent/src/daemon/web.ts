import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '@skiff/logger';
import { indexExport, lookup, type FileIndex, type StaticFile } from './static/file-index.js';
import { SECURITY_HEADERS } from './static/headers.js';
import { requestPath } from './static/request-path.js';
import { sendFile, StaticFileGone } from './static/send-file.js';

const log = logger.child({ component: 'web' });

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** `next build` writes the dashboard's static export here (apps/web/next.config.ts: output 'export') */
export const WEB_EXPORT_DIR = fileURLToPath(new URL('../../../web/out', import.meta.url));

const NOT_BUILT = 'The Skiff dashboard is not built: run `npm run build` (scripts/start.sh does). The API is at /trpc.\n';
/** a missed file re-reads the export at most this often: a rebuild shows, a 404 scan costs nothing */
const REINDEX_MS = 1_000;

const plain = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) =>
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(body);

/**
 * The dashboard (apps/web, a Next.js static export) served by the agent itself on its HTTP
 * port, from the files the build wrote: no second process, no Next.js server in memory.
 * The export is indexed at the first request (and again when a rebuild replaced it); until
 * there is a build, every page is a 503 that says how to make one.
 */
export function webFrontend(dir = WEB_EXPORT_DIR): WebHandler {
  let index: Promise<FileIndex | undefined> | undefined;
  let stamp = '';
  let checked = 0;

  const exportStamp = () =>
    stat(dir).then(
      (st) => `${st.ino}-${st.mtimeMs}`,
      () => '',
    );
  const load = (): Promise<FileIndex | undefined> =>
    (async () => {
      stamp = await exportStamp();
      if (!stamp || !(await stat(join(dir, 'index.html')).catch(() => undefined))) return undefined;
      const i = await indexExport(dir);
      log.info('serving the dashboard', { dir, files: i.files.size });
      return i;
    })().catch((e: Error) => {
      log.error('cannot read the dashboard build', { dir, err: e });
      return undefined;
    });
  /** the index, read again when the export directory was replaced since (rate-limited) */
  const current = async (recheck: boolean): Promise<FileIndex | undefined> => {
    if (index && recheck && Date.now() - checked > REINDEX_MS) {
      checked = Date.now();
      if ((await exportStamp()) !== stamp) index = undefined;
    }
    index ??= load();
    const i = await index;
    if (!i) index = undefined; // not built yet: look again at the next request
    return i;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const path = requestPath(req.url);
    if (!path) return void plain(res, 400, 'bad path\n');
    for (const recheck of [false, true]) {
      const i = await current(recheck);
      if (!i) return void plain(res, 503, NOT_BUILT);
      const file = lookup(i, path);
      const missing: StaticFile | undefined = path.startsWith('/_next/') ? undefined : i.files.get('/404.html');
      try {
        if (file) return await sendFile(req, res, file, { status: 200, immutable: path.startsWith('/_next/static/') });
        // a miss may be a file of a build that replaced this one: read it again, then answer 404
        if (!recheck) continue;
        if (missing) return await sendFile(req, res, missing, { status: 404, immutable: false });
        return void plain(res, 404, 'not found\n');
      } catch (e) {
        if (!(e instanceof StaticFileGone)) throw e;
      }
    }
    plain(res, 404, 'not found\n');
  };

  return (req, res) =>
    void serve(req, res).catch((e: Error) => {
      log.error('serving a dashboard file failed', { url: req.url, err: e });
      if (!res.headersSent) plain(res, 500, 'internal error\n');
      else res.destroy();
    });
}
