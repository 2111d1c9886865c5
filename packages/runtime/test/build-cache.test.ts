import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildCache } from '../src/build/build-cache.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('build cache', () => {
  it('keys on parent, step and extras; survives a restart; ignores entries whose image is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-cache-'));
    dirs.push(dir);
    const file = join(dir, 'build-cache.json');
    const k = BuildCache.key('sha256:p', 'RUN make', ['A=1']);
    expect(k).toBe(BuildCache.key('sha256:p', 'RUN make', ['A=1']));
    expect(
      new Set([
        k,
        BuildCache.key('sha256:q', 'RUN make', ['A=1']),
        BuildCache.key('sha256:p', 'RUN make -j', ['A=1']),
        BuildCache.key('sha256:p', 'RUN make', ['A=2']),
      ]).size,
    ).toBe(4);
    await new BuildCache(file).set(k, 'sha256:img');
    const again = new BuildCache(file);
    expect(await again.get(k, () => true)).toBe('sha256:img');
    expect(await again.get(k, () => false)).toBeUndefined();
    expect(await again.prune((id) => id !== 'sha256:img')).toBe(1);
    await writeFile(file, '{ damaged');
    expect(await new BuildCache(file).get(k, () => true)).toBeUndefined();
  });
});
