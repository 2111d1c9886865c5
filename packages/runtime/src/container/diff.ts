import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileChange } from '../types.js';

/**
 * `docker diff`: walks the container's overlay upper dir. A 0:0 character device is an
 * overlay whiteout (deleted); an entry that exists in a lower layer is changed; anything
 * else was added. Parents of changes show up as changed, as in Docker. `exclude` (paths
 * relative to the upper dir, see runtime-placeholders.ts) are left out with everything below.
 */
export async function containerDiff(upper: string, lowers: string[], exclude: ReadonlySet<string> = new Set()): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  const existsBelow = async (rel: string) => {
    for (const l of lowers) {
      try {
        await lstat(join(l, rel));
        return true;
      } catch {
        /* next */
      }
    }
    return false;
  };
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(upper, rel)).catch(() => [] as string[]);
    for (const name of entries.sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.has(r)) continue;
      const st = await lstat(join(upper, r));
      if (st.isCharacterDevice() && st.rdev === 0) {
        changes.push({ path: `/${r}`, kind: 2 });
        continue;
      }
      changes.push({ path: `/${r}`, kind: (await existsBelow(r)) ? 0 : 1 });
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return changes;
}
