import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { logger } from '@skiff/logger';
import type { Coding, StaticFile } from './file-index.js';
import { acceptsEncoding, IMMUTABLE, REVALIDATE, SECURITY_HEADERS } from './headers.js';

const log = logger.child({ component: 'web' });

/** the file was not there (a rebuild replaced the export): the caller re-reads the index */
export class StaticFileGone extends Error {}

/** opens a regular file without following a symbolic link at its last component */
async function openRegular(path: string): Promise<{ fh: FileHandle; st: Stats } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  const st = await fh.stat();
  if (st.isFile()) return { fh, st };
  await fh.close();
  return undefined;
}

const etagOf = (st: Stats, coding?: Coding) => `"${st.size.toString(36)}-${Math.trunc(st.mtimeMs).toString(36)}${coding ? `-${coding}` : ''}"`;

const matches = (header: string | undefined, etag: string) =>
  !!header && (header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag));

/**
 * Sends a static file with `status`: its precompressed copy when the client takes it,
 * an ETag and a 304 for a matching If-None-Match (200s only), the cache policy (a year
 * for hashed assets, revalidation for the rest), the security headers and a page's CSP;
 * a HEAD gets the headers alone. Throws StaticFileGone when the file is not there.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, opts: { status: number; immutable: boolean }): Promise<void> {
  const coding = (['br', 'gzip'] as const).find((c) => file.variants[c] && acceptsEncoding(req.headers['accept-encoding'], c));
  let opened = coding ? await openRegular(file.variants[coding]!) : undefined;
  const sentCoding = opened ? coding : undefined;
  opened ??= await openRegular(file.path);
  if (!opened) throw new StaticFileGone(file.path);
  const { fh, st } = opened;
  try {
    const etag = etagOf(st, sentCoding);
    const headers: Record<string, string | number> = {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'cache-control': opts.immutable ? IMMUTABLE : REVALIDATE,
      etag,
    };
    if (Object.keys(file.variants).length) headers.vary = 'accept-encoding';
    if (sentCoding) headers['content-encoding'] = sentCoding;
    if (file.csp) headers['content-security-policy'] = file.csp;
    if (opts.status === 200 && matches(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    headers['content-length'] = st.size;
    res.writeHead(opts.status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(fh.createReadStream({ autoClose: false }), res).catch((e: Error) => {
      // a client that went away mid-file is no fault; anything else is worth a line
      if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn('sending a dashboard file failed', { path: file.path, err: e });
    });
  } finally {
    await fh.close();
  }
}
