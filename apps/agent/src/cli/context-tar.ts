import { createReadStream } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BuildContext } from '@skiff/runtime';

export interface ContextExtra {
  /** path in the archive */
  name: string;
  content: string;
}

/**
 * A build context directory as the tar stream the agent takes: what `.dockerignore` leaves
 * in (the same matcher the builder uses), plus the Dockerfile and `.dockerignore` themselves
 * even when ignored (the builder needs them; COPY still cannot see them), plus `extra`
 * files such as a Dockerfile from outside the context. Entries keep their mode, owner and
 * mtime; entries are added one at a time, so a big context is never held in memory.
 */
export async function packContext(dir: string, always: string[], extra: ContextExtra[] = []): Promise<Readable> {
  const dockerignore = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const files = await new BuildContext(dir, dockerignore).files();
  const kept = new Set(files);
  for (const a of always) if (!kept.has(a) && (await lstat(join(dir, a)).catch(() => undefined))) files.push(a);
  const pack = tar.pack();
  void (async () => {
    for (const rel of files) {
      const path = join(dir, rel);
      const st = await lstat(path);
      const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) pack.entry({ ...base, type: 'directory' });
      else if (st.isSymbolicLink()) pack.entry({ ...base, type: 'symlink', linkname: await readlink(path) });
      else if (st.isFile()) await pipeline(createReadStream(path), pack.entry({ ...base, type: 'file', size: st.size }));
      // sockets, fifos and devices are not build input
    }
    for (const e of extra) pack.entry({ name: e.name, mode: 0o644, mtime: new Date(), type: 'file' }, e.content);
    pack.finalize();
  })().catch((e: Error) => pack.destroy(e));
  // tar-stream's Pack is a streamx Readable, which node's pipe() takes
  return pack as unknown as Readable;
}
