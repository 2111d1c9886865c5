import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { InvalidArgument, NotFound } from '../errors.js';
import { resolveInRoot } from '../container/fs/rootfs-path.js';
import { pathPattern } from '../spec/path-match.js';

// a CommonJS module whose typings declare an ES default export: load it as what it is
const ignore = createRequire(import.meta.url)('@balena/dockerignore') as (opts?: { ignorecase?: boolean }) => Ignore;

/**
 * A build context on disk: what `.dockerignore` leaves in, COPY/ADD source matching
 * (Go's filepath.Match globs, as Docker) that cannot leave the context through `..` or
 * symlinks, and content checksums for the build cache (content and mode, never mtime).
 */
export class BuildContext {
  private readonly ignores: (path: string) => boolean;

  constructor(
    readonly root: string,
    dockerignore = '',
  ) {
    const ig = ignore({ ignorecase: false }).add(dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    this.ignores = (p) => p !== '' && ig.ignores(p);
  }

  /** every path the build may see, relative, sorted; a directory is listed when it or anything under it is kept */
  async files(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<boolean> => {
      const entries = (await readdir(posix.join(this.root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      let kept = false;
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        const here = out.length;
        const keptBelow = e.isDirectory() && (await walk(p));
        if (!this.ignores(p) || keptBelow) {
          out.splice(here, 0, p);
          kept = true;
        }
      }
      return kept;
    };
    await walk('');
    return out;
  }

  /**
   * The context paths a COPY/ADD source names: a path or a glob (`*`, `?`, `[a-z]`
   * within one path component). Throws NotFound like Docker when nothing matches.
   */
  async match(source: string, files?: string[]): Promise<string[]> {
    const rel = posix.normalize(source.replace(/^\/+/, ''));
    if (rel === '..' || rel.startsWith('../')) throw new InvalidArgument(`forbidden path outside the build context: ${source}`);
    const clean = rel.replace(/\/$/, '').replace(/^\.$/, '');
    const all = files ?? (await this.files());
    if (clean === '' || clean === '.') return [''];
    const re = /[*?[]/.test(clean) ? pathPattern(clean) : undefined;
    const hits = all.filter((f) => (re ? re.test(f) : f === clean));
    if (!hits.length) throw new NotFound(`failed to compute cache key: "/${clean}": not found`);
    return hits;
  }

  /** host path of a context path, symlinks resolved without leaving the context */
  resolve(rel: string): Promise<string> {
    return resolveInRoot(this.root, `/${rel}`);
  }

  /**
   * A checksum of what COPY would copy from these context paths: names, modes, link
   * targets and file contents, recursively (ignored files excluded). Timestamps are not
   * part of it, so a touched but unchanged file still hits the cache.
   */
  async checksum(paths: string[]): Promise<string> {
    const files = await this.files();
    const kept = new Set(files);
    const h = createHash('sha256');
    const add = async (rel: string) => {
      const host = posix.join(this.root, rel);
      const st = await lstat(host);
      h.update(`${rel}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}\0`);
      if (st.isSymbolicLink()) h.update(`-> ${await readlink(host)}\0`);
      else if (st.isFile()) {
        for await (const chunk of createReadStream(host)) h.update(chunk as Buffer);
        h.update('\0');
      } else if (st.isDirectory()) {
        for (const child of files.filter((f) => posix.dirname(f) === (rel || '.'))) await add(child);
      }
    };
    for (const p of [...paths].sort()) {
      if (p !== '' && !kept.has(p)) throw new NotFound(`"/${p}": not found (excluded by .dockerignore?)`);
      await add(p);
    }
    return `sha256:${h.digest('hex')}`;
  }
}
