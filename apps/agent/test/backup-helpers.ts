import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** every entry below `dir` (and `dir` itself as ''): type, owner, mode, and the content's sha256 or the link's target */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    const meta = `${st.uid}:${st.gid}:${(st.mode & 0o7777).toString(8)}`;
    if (st.isSymbolicLink()) out[rel] = `link ${meta} -> ${readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = `file ${meta} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${meta}`;
      for (const c of readdirSync(p)) walk(rel ? `${rel}/${c}` : c);
    } else out[rel] = `other ${meta}`;
  };
  walk('');
  return out;
}

/** polls `fn` until it returns something truthy */
export async function until<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
