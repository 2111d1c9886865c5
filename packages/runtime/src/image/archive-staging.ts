import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { refuseSparseOrUnknown } from './tar-sparse.js';
import { InvalidArgument, isSkiffError } from '../errors.js';
import { decompressorFor } from './decompress.js';

export interface StagedFile {
  /** where the content is on disk (under the store's tmp/) */
  path: string;
  size: number;
  /** sha256 of the content, computed while it was written */
  digest: string;
}

const MAX_LINK_HOPS = 40;

/**
 * An image archive (docker-archive or OCI layout tar) unpacked for inspection. Regular
 * files are written under flat names (`f<N>`) in a staging directory, never at the paths
 * the archive names, and links are only remembered: so no entry can write, or read,
 * anything outside the staging directory. Paths with `..`, absolute paths and links that
 * leave the archive are refused.
 */
export class StagedArchive {
  readonly files = new Map<string, StagedFile>();
  /** archive name → the archive name it links to */
  readonly links = new Map<string, string>();

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  lookup(name: string): StagedFile | undefined {
    let cur = archivePath(name);
    for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
      const file = this.files.get(cur);
      if (file) return file;
      const next = this.links.get(cur);
      if (next === undefined) return undefined;
      cur = next;
    }
    throw new InvalidArgument(`too many levels of links at "${name}" in the archive`);
  }

  get(name: string, what: string): StagedFile {
    const f = this.lookup(name);
    if (!f) throw new InvalidArgument(`the archive has no ${what} (${name})`);
    return f;
  }

  /** A JSON document of at most `limit` bytes. */
  async readJson<T>(name: string, what: string, limit: number): Promise<{ value: T; raw: Buffer; file: StagedFile }> {
    const file = this.get(name, what);
    if (file.size > limit) throw new InvalidArgument(`${what} in the archive is larger than ${limit} bytes`);
    const raw = await readFile(file.path);
    try {
      return { value: JSON.parse(raw.toString('utf8')) as T, raw, file };
    } catch {
      throw new InvalidArgument(`${what} in the archive (${name}) is not valid JSON`);
    }
  }
}

/** A name inside the archive, normalised; anything absolute or with `..` is refused. */
export function archivePath(name: string): string {
  if (name.includes('\0')) throw new InvalidArgument(`invalid archive entry name ${JSON.stringify(name)}`);
  if (name.startsWith('/')) throw new InvalidArgument(`archive entry "${name}" has an absolute path; refusing it`);
  if (name.split('/').includes('..')) throw new InvalidArgument(`archive entry "${name}" contains ".."; refusing a path that could leave the archive`);
  return posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
}

/** Where a symlink entry points, as an archive name (it must stay inside the archive). */
function symlinkTarget(name: string, target: string): string {
  if (target.startsWith('/')) throw new InvalidArgument(`archive entry "${name}" is a symlink to the absolute path "${target}"; refusing it`);
  const resolved = posix.normalize(posix.join(posix.dirname(name), target));
  if (resolved === '..' || resolved.startsWith('../'))
    throw new InvalidArgument(`archive entry "${name}" is a symlink to "${target}", outside the archive; refusing it`);
  return resolved.replace(/\/+$/, '');
}

/**
 * Reads the whole archive (plain, gzip or zstd) into `dir`. A truncated or corrupt tar
 * fails with InvalidArgument; the caller removes `dir` whatever happens.
 */
export async function stageArchive(input: Readable, dir: string, signal?: AbortSignal): Promise<StagedArchive> {
  const staged = new StagedArchive();
  let n = 0;
  const extract = tar.extract();
  extract.on('error', () => {}); // the pipeline reports the first error
  extract.on('entry', (header, stream, next) => {
    stream.on('error', () => {});
    void (async () => {
      refuseSparseOrUnknown(header, 'image archive');
      const name = archivePath(header.name);
      if (!name || name === '.') {
        stream.resume();
        return;
      }
      switch (header.type) {
        case 'file':
        case 'contiguous-file': {
          const path = join(dir, `f${n++}`);
          const hash = createHash('sha256');
          let size = 0;
          const tap = new Transform({
            transform(chunk: Buffer, _e, cb) {
              hash.update(chunk);
              size += chunk.length;
              cb(null, chunk);
            },
          });
          await pipeline(stream, tap, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
          staged.links.delete(name);
          staged.files.set(name, { path, size, digest: `sha256:${hash.digest('hex')}` });
          return;
        }
        case 'symlink':
          staged.files.delete(name);
          staged.links.set(name, symlinkTarget(name, header.linkname ?? ''));
          break;
        case 'link':
          staged.files.delete(name);
          staged.links.set(name, archivePath(header.linkname ?? ''));
          break;
        default:
          break; // directories need nothing; devices and fifos have no place in an image archive
      }
      stream.resume();
    })().then(
      () => next(),
      (e: unknown) => {
        stream.resume();
        next(e as Error);
      },
    );
  });
  try {
    const decompress = await decompressorFor(input);
    if (decompress) await pipeline(input, decompress, extract, { signal });
    else await pipeline(input, extract, { signal });
  } catch (e) {
    if (isSkiffError(e) || (e as Error).name === 'AbortError') throw e;
    throw new InvalidArgument(`cannot read the image archive: it is truncated or not a tar file (${(e as Error).message})`, { cause: e });
  }
  return staged;
}
