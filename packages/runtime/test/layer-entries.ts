import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

/** Scratch directories for a test file: `make()` gives a fresh one, `removeAll()` (in afterAll) deletes them. */
export function scratchDirs(prefix: string): { make: () => Promise<string>; removeAll: () => Promise<void> } {
  const roots: string[] = [];
  return {
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      roots.push(dir);
      return dir;
    },
    removeAll: async () => {
      for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
    },
  };
}

export interface TarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string | null;
  uname: string;
  gname: string;
  pax: Record<string, unknown>;
}

/** the entries of a gzip layer blob, in order */
export async function entriesOf(blobPath: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    out.push({
      name: h.name,
      type: h.type ?? 'file',
      mode: h.mode ?? 0,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      mtime: h.mtime?.getTime() ?? 0,
      linkname: h.linkname ?? null,
      uname: h.uname ?? '',
      gname: h.gname ?? '',
      pax: (h.pax ?? {}) as Record<string, unknown>,
    });
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(blobPath), createGunzip(), extract);
  return out;
}
