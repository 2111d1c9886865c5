import { io } from '../io.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { parseFlags } from '../args.js';
import type { SkiffClient } from '../client.js';
import { CliError } from '../errors.js';

/** `ctr:/path` → { container, path } (a leading `./` or `/` means a local path, as in Docker) */
function splitContainerPath(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) || '/' };
}

async function packLocal(src: string, nameInArchive: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  const add = async (path: string, name: string): Promise<void> => {
    const st = await lstat(path);
    const header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await new Promise<void>((res, rej) => pack.entry({ ...header, type: 'directory' }, (e) => (e ? rej(e) : res())));
      for (const c of (await readdir(path)).sort()) await add(join(path, c), `${name}/${c}`);
    } else if (st.isSymbolicLink()) {
      const linkname = await readlink(path);
      await new Promise<void>((res, rej) => pack.entry({ ...header, type: 'symlink', linkname }, (e) => (e ? rej(e) : res())));
    } else if (st.isFile()) {
      await new Promise<void>((res, rej) => {
        const w = pack.entry({ ...header, type: 'file', size: st.size }, (e) => (e ? rej(e) : res()));
        createReadStream(path).on('error', rej).pipe(w);
      });
    }
  };
  await add(src, nameInArchive);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Extracts into `dest`; a single top entry is renamed to dest's basename when dest is not a directory. */
async function extractLocal(archive: Buffer, dest: string): Promise<void> {
  const destIsDir = await stat(dest).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const extract = tar.extract();
  let top: string | undefined;
  extract.on('entry', (h, stream, next) => {
    void (async () => {
      const name = posix.normalize(h.name).replace(/^\/+/, '');
      if (name.startsWith('..')) throw new CliError(`refusing archive entry outside the destination: ${h.name}`);
      top ??= name.split('/')[0];
      const path = destIsDir ? join(dest, name) : join(dest, name.slice(top!.length));
      await mkdir(dirname(path), { recursive: true });
      if (h.type === 'directory') {
        await mkdir(path, { recursive: true, mode: h.mode });
        stream.resume();
      } else if (h.type === 'symlink') {
        await symlink(h.linkname ?? '', path);
        stream.resume();
      } else if (h.type === 'file') {
        await pipeline(stream, createWriteStream(path, { mode: h.mode }));
      } else stream.resume();
    })().then(
      () => next(),
      (e) => next(e as Error),
    );
  });
  await pipeline(Readable.from([archive]), extract);
}

export async function cpCommand(client: SkiffClient, argv: string[]): Promise<number> {
  const { args } = parseFlags(argv, { archive: { type: 'boolean', short: 'a' } }, { command: 'cp' });
  if (args.length !== 2)
    throw new CliError('"skiff cp" requires exactly 2 arguments.\nUsage: skiff cp CONTAINER:SRC_PATH DEST_PATH|-  or  skiff cp SRC_PATH|- CONTAINER:DEST_PATH');
  const src = splitContainerPath(args[0]!);
  const dst = splitContainerPath(args[1]!);
  if (src.container && dst.container) throw new CliError('copying between containers is not supported');
  if (!src.container && !dst.container) throw new CliError('must specify at least one container source');
  if (src.container) {
    const { tar: b64 } = await client.containers.copyFrom.query({ id: src.container, path: src.path });
    const archive = Buffer.from(b64, 'base64');
    if (dst.path === '-') io().stdout.write(archive);
    else await extractLocal(archive, dst.path);
    return 0;
  }
  const local = src.path;
  const exists = await lstat(local).catch(() => undefined);
  if (!exists) throw new CliError(`could not find the file ${local} on this host`);
  // into an existing directory keeps the name; otherwise the entry takes the destination's name
  const tryDir = await client.containers.copyTo
    .mutate({ id: dst.container!, path: dst.path, tar: (await packLocal(local, basename(resolve(local)))).toString('base64') })
    .then(
      () => true,
      (e: Error) => {
        if (!/not a directory|no such file/i.test(e.message)) throw e;
        return false;
      },
    );
  if (!tryDir) {
    const parent = posix.dirname(dst.path);
    await client.containers.copyTo.mutate({ id: dst.container!, path: parent, tar: (await packLocal(local, posix.basename(dst.path))).toString('base64') });
  }
  return 0;
}
