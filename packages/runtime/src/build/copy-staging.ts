import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { InvalidArgument } from '../errors.js';
import type { BuildContext } from './context.js';

/**
 * COPY/ADD's file rules, applied into a staging directory that mirrors the image root
 * (the layer writer then turns it into a layer): a directory source copies its contents,
 * several sources need a destination ending in `/`, `--chown` and `--chmod` apply to
 * everything copied, ADD unpacks local tar archives. Files are owned by root unless
 * `--chown` says otherwise, as in Docker.
 */
export interface CopyRequest {
  keyword: 'COPY' | 'ADD';
  line: number;
  /** context-relative (from the build context) or absolute in the source image (COPY --from) */
  sources: string[];
  /** absolute destination in the image; a trailing `/` means "into this directory" */
  dest: string;
  owner: { uid: number; gid: number };
  mode?: number;
  staging: string;
}

/** where a context source is read from: the context (symlinks resolved inside it) or a directory the source image's files were copied to */
export type SourceRoot = { kind: 'context'; ctx: BuildContext } | { kind: 'dir'; dir: string };

export async function stageCopy(req: CopyRequest, root: SourceRoot): Promise<void> {
  const matched: { rel: string; host: string }[] = [];
  if (root.kind === 'context') {
    const files = await root.ctx.files();
    for (const s of req.sources) for (const rel of await root.ctx.match(s, files)) matched.push({ rel, host: await root.ctx.resolve(rel) });
  } else {
    for (const s of req.sources) matched.push({ rel: s, host: join(root.dir, posix.normalize(`/${s}`)) });
  }
  const intoDir = req.dest.endsWith('/') || req.dest === '.';
  if (matched.length > 1 && !intoDir) throw new InvalidArgument(`Dockerfile:${req.line}: When using ${req.keyword} with more than one source file, the destination must be a directory and end with a /`);
  const destHost = join(req.staging, posix.normalize(req.dest));
  await makeParents(req.staging, intoDir ? req.dest : posix.dirname(req.dest));
  for (const m of matched) {
    const st = await lstat(m.host);
    if (st.isDirectory()) {
      await guard(req.staging, destHost);
      await mkdir(destHost, { recursive: true });
      await copyTree(m.host, destHost, req);
    } else if (req.keyword === 'ADD' && st.isFile() && (await isTar(m.host))) {
      await mkdir(destHost, { recursive: true });
      await extractTar(m.host, destHost, req);
    } else {
      const target = intoDir ? join(destHost, basename(m.rel)) : destHost;
      await copyEntry(m.host, target, req);
    }
  }
}

/** the destination's parents exist in the layer as plain root-owned 0755 directories */
async function makeParents(staging: string, dir: string): Promise<void> {
  let cur = staging;
  for (const part of posix.normalize(dir).split('/').filter(Boolean)) {
    cur = join(cur, part);
    await mkdir(cur, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

async function copyTree(from: string, to: string, req: CopyRequest): Promise<void> {
  for (const name of (await readdir(from)).sort()) await copyEntry(join(from, name), join(to, name), req);
  await own(to, req, 0o755, (await lstat(from)).mode);
}

/**
 * Nothing may be written through a symlink the copy itself put in the staging tree (a
 * context link `x -> /etc` followed by a directory `x/` would otherwise write on the
 * host): every parent must be a real directory, and an existing entry is replaced.
 */
async function guard(staging: string, target: string): Promise<void> {
  const rel = target.slice(staging.length).split('/').filter(Boolean);
  let cur = staging;
  for (const part of rel.slice(0, -1)) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (st && !st.isDirectory()) throw new InvalidArgument(`cannot copy to ${target.slice(staging.length)}: ${cur.slice(staging.length)} is not a directory in this step`);
  }
  const last = await lstat(target).catch(() => undefined);
  if (last && !(last.isDirectory() && !last.isSymbolicLink())) await rm(target, { force: true });
}

async function copyEntry(from: string, to: string, req: CopyRequest): Promise<void> {
  await guard(req.staging, to);
  const st = await lstat(from);
  if (st.isDirectory()) {
    await mkdir(to, { recursive: true });
    await copyTree(from, to, req);
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(from), to);
    await lchown(to, req.owner.uid, req.owner.gid);
  } else if (st.isFile()) {
    await copyFile(from, to);
    await own(to, req, st.mode, st.mode);
  }
  // sockets, fifos and devices in a build context are skipped, as Docker's context tar does
}

async function own(path: string, req: CopyRequest, _fallback: number, srcMode: number): Promise<void> {
  await lchown(path, req.owner.uid, req.owner.gid);
  await chmod(path, req.mode ?? srcMode & 0o7777);
}

async function isTar(path: string): Promise<boolean> {
  const fd = createReadStream(path, { start: 0, end: 511 });
  const chunks: Buffer[] = [];
  for await (const c of fd) chunks.push(c as Buffer);
  const head = Buffer.concat(chunks);
  if (head[0] === 0x1f && head[1] === 0x8b) return true; // gzip: assume a compressed tar, as Docker does for ADD
  return head.length >= 262 && head.subarray(257, 262).toString() === 'ustar';
}

/** ADD of a local tar: unpacked into the destination; paths may not climb out of it */
async function extractTar(file: string, dest: string, req: CopyRequest): Promise<void> {
  const extract = tar.extract();
  const head = createReadStream(file, { start: 0, end: 1 });
  let gz = false;
  for await (const c of head) gz = (c as Buffer)[0] === 0x1f && (c as Buffer)[1] === 0x8b;
  extract.on('entry', (header, stream, next) => {
    void (async () => {
      const name = posix.normalize(`/${header.name}`);
      const target = join(dest, name);
      await guard(req.staging, target);
      if (header.type === 'directory') await mkdir(target, { recursive: true, mode: header.mode });
      else if (header.type === 'symlink') {
        await mkdir(posix.dirname(target), { recursive: true });
        await symlink(header.linkname ?? '', target);
      } else if (header.type === 'file') {
        await mkdir(posix.dirname(target), { recursive: true });
        const { createWriteStream } = await import('node:fs');
        await pipeline(stream, createWriteStream(target, { mode: header.mode }));
        await lchown(target, header.uid ?? 0, header.gid ?? 0);
        return next();
      }
      stream.resume();
      next();
    })().catch((e: Error) => extract.destroy(new InvalidArgument(`Dockerfile:${req.line}: ADD ${basename(file)}: ${e.message}`)));
  });
  if (gz) await pipeline(createReadStream(file), createGunzip(), extract);
  else await pipeline(createReadStream(file), extract);
}
