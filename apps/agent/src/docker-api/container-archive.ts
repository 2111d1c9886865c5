import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { NotFound } from '@skiff/runtime';
import type { ContainerArchiveBackend } from './backend.js';
import { API_VERSION, DockerApiError, sendTar } from './http.js';
import { param, type Call, type Route } from './route.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

function octal(b: Buffer): number {
  if (b[0]! & 0x80) {
    // base-256 (GNU) for large values
    let n = 0;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');

/**
 * Reads the first entry header of a tar stream (the copied path itself, named by its
 * basename, as the runtime packs it) for the X-Docker-Container-Path-Stat header, keeping
 * every byte read so the whole tar can still be sent.
 */
async function firstEntry(src: Readable): Promise<{ stat: PathStat; head: Buffer; it: AsyncIterator<Buffer> }> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buf = Buffer.alloc(0);
  const need = async (n: number) => {
    while (buf.length < n) {
      const r = await it.next();
      if (r.done) throw new NotFound('empty archive');
      buf = Buffer.concat([buf, r.value]);
    }
  };
  let off = 0;
  const pax: Record<string, string> = {};
  for (;;) {
    await need(off + 512);
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) throw new NotFound('empty archive');
    const type = String.fromCharCode(h[156]!);
    const size = octal(h.subarray(124, 136));
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const padded = Math.ceil(size / 512) * 512;
      await need(off + 512 + padded);
      const data = buf.subarray(off + 512, off + 512 + size);
      if (type === 'L') pax.path = cstr(data);
      else if (type === 'K') pax.linkpath = cstr(data);
      else if (type === 'x') {
        let p = 0;
        while (p < data.length) {
          const sp = data.indexOf(0x20, p);
          const len = parseInt(data.subarray(p, sp).toString(), 10);
          if (!len) break;
          const rec = data.subarray(sp + 1, p + len - 1).toString('utf8');
          const eq = rec.indexOf('=');
          pax[rec.slice(0, eq)] = rec.slice(eq + 1);
          p += len;
        }
      }
      off += 512 + padded;
      continue;
    }
    const prefix = cstr(h.subarray(345, 500));
    const name = pax.path ?? (prefix ? `${prefix}/${cstr(h.subarray(0, 100))}` : cstr(h.subarray(0, 100)));
    const perm = octal(h.subarray(100, 108)) & 0o7777;
    const mode =
      (perm & 0o777) +
      (perm & 0o4000 ? 2 ** 23 : 0) +
      (perm & 0o2000 ? 2 ** 22 : 0) +
      (perm & 0o1000 ? 2 ** 20 : 0) +
      (type === '5' ? GO_MODE_DIR : 0) +
      (type === '2' ? GO_MODE_SYMLINK : 0);
    const stat = {
      name: name.replace(/\/+$/, '').split('/').pop() ?? name,
      size: pax.size ? Number(pax.size) : size,
      mode,
      mtime: new Date(octal(h.subarray(136, 148)) * 1000).toISOString(),
      linkTarget: type === '2' ? (pax.linkpath ?? cstr(h.subarray(157, 257))) : '',
    };
    return { stat, head: buf, it };
  }
}

const statHeader = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

/** stat of a path in the container: the first header of its tar, or the root itself */
async function statPath(
  runtime: ContainerArchiveBackend,
  id: string,
  path: string,
): Promise<{ stat: PathStat; src?: Readable; head?: Buffer; it?: AsyncIterator<Buffer> }> {
  const trimmed = path.replace(/\/\.$/, '').replace(/\/+$/, '');
  if (!trimmed) return { stat: { name: '/', size: 4096, mode: GO_MODE_DIR + 0o755, mtime: new Date(0).toISOString(), linkTarget: '' } };
  const src = (await runtime.containers.copyFrom(id, path === trimmed || path.endsWith('/') ? path : trimmed)) as Readable;
  try {
    return { src, ...(await firstEntry(src)) };
  } catch (e) {
    src.destroy();
    throw e;
  }
}

/**
 * A directory's content (`dir/.`) as dockerd sends it: the directory itself as `.` and every
 * entry under `./`, which the client renames to the destination (the runtime's tar has the
 * bare names, which the client would mangle: it replaces the first "." of each name).
 */
function asDotEntries(src: Readable, dir: PathStat): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  pack.entry({ name: '.', type: 'directory', mode: dir.mode & 0o7777, mtime: new Date(dir.mtime) });
  extract.on('entry', (h, body, next) => {
    const header = { ...h, name: `./${h.name}` };
    if (h.type === 'file' || h.type === 'contiguous-file') {
      body.pipe(pack.entry(header, (err) => (err ? extract.destroy(err) : next())));
    } else {
      pack.entry(header);
      body.on('end', () => next());
      body.resume();
    }
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (e) => pack.destroy(e));
  pack.on('close', () => src.destroy());
  src.on('error', (e) => extract.destroy(e));
  src.pipe(extract);
  return pack as unknown as Readable;
}

async function getArchive(c: Call<ContainerArchiveBackend>): Promise<void> {
  const path = c.url.searchParams.get('path');
  if (!path) throw new DockerApiError(400, 'path is required');
  const id = param(c);
  const { stat, src, head, it } = await statPath(c.runtime, id, path);
  const headers = { 'content-type': 'application/x-tar', 'api-version': API_VERSION, 'x-docker-container-path-stat': statHeader(stat) };
  if (c.req.method === 'HEAD') {
    src?.destroy();
    c.res.writeHead(200, headers).end();
    return;
  }
  // dockerd's tar of "/" names entries in a way the client cannot rebase either; "/." works
  if (!src && !path.endsWith('/.')) throw new DockerApiError(400, 'copying the whole root filesystem out is not supported: copy ctr:/. or use docker export');
  // a directory's content ("dir/."): the stream of the stat is not the one sent
  const reuse = !!src && !path.endsWith('/.');
  if (!reuse) src?.destroy();
  const body = reuse ? src! : asDotEntries((await c.runtime.containers.copyFrom(id, path)) as Readable, stat);
  c.res.writeHead(200, headers);
  const chunks = async function* () {
    try {
      if (reuse) {
        yield head!;
        for (let r = await it!.next(); !r.done; r = await it!.next()) yield r.value;
      } else yield* body as AsyncIterable<Buffer>;
    } finally {
      body.destroy();
    }
  };
  await pipeline(Readable.from(chunks()), c.res).catch(() => void c.res.destroy());
}

async function putArchive(c: Call<ContainerArchiveBackend>): Promise<void> {
  const path = c.url.searchParams.get('path');
  if (!path) throw new DockerApiError(400, 'path is required');
  await c.runtime.containers.copyTo(param(c), path, c.req);
  c.res.writeHead(200, { 'content-length': 0 }).end();
}

/** docker cp (`/archive`, HEAD for a stat) and docker export */
export const CONTAINER_ARCHIVE_ROUTES: Route<ContainerArchiveBackend>[] = [
  {
    // docker export: the container's whole filesystem, as the runtime packs it
    method: 'GET',
    pattern: /^\/containers\/([^/]+)\/export$/,
    async handle(c) {
      await sendTar(c.res, await c.runtime.containers.export(param(c)));
    },
  },
  { method: 'GET', pattern: /^\/containers\/([^/]+)\/archive$/, handle: getArchive },
  { method: 'PUT', pattern: /^\/containers\/([^/]+)\/archive$/, handle: putArchive },
];
