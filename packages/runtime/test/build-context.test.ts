import { mkdir, mkdtemp, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildContext } from '../src/build/context.js';
import { pathPattern } from '../src/spec/path-match.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-ctx-'));
  await mkdir(join(dir, 'src/lib'), { recursive: true });
  await mkdir(join(dir, 'node_modules/x'), { recursive: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  await writeFile(join(dir, 'src/a.ts'), 'a');
  await writeFile(join(dir, 'src/b.js'), 'b');
  await writeFile(join(dir, 'src/lib/c.ts'), 'c');
  await writeFile(join(dir, 'node_modules/x/index.js'), 'x');
  await writeFile(join(dir, 'logs/keep.log'), 'k');
  await writeFile(join(dir, 'logs/drop.log'), 'd');
  await writeFile(join(dir, 'secret.env'), 's');
  await symlink('/etc/passwd', join(dir, 'escape'));
  await symlink('../../../../../etc', join(dir, 'src/up'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('build context', () => {
  it('leaves out what .dockerignore says, with ! exceptions', async () => {
    const ctx = new BuildContext(dir, '# deps\nnode_modules\n*.env\nlogs/*.log\n!logs/keep.log\n');
    expect(await ctx.files()).toEqual(['escape', 'logs', 'logs/keep.log', 'src', 'src/a.ts', 'src/b.js', 'src/lib', 'src/lib/c.ts', 'src/up']);
  });

  it('matches COPY sources like Docker: globs stay within one component, nothing matched is an error', async () => {
    const ctx = new BuildContext(dir, 'node_modules\n');
    expect(await ctx.match('src/*.ts')).toEqual(['src/a.ts']);
    expect(await ctx.match('./src/lib/')).toEqual(['src/lib']);
    expect(await ctx.match('src/[ab].*')).toEqual(['src/a.ts', 'src/b.js']);
    await expect(ctx.match('node_modules/x/index.js')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ctx.match('../outside')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(pathPattern('a/*.c').test('a/b/c.c')).toBe(false);
    expect(pathPattern('src/[^b].ts').test('src/a.ts')).toBe(true);
    expect(() => pathPattern('src/[a')).toThrow(/syntax error in pattern/);
  });

  it('never resolves a symlink to outside the context', async () => {
    const ctx = new BuildContext(dir);
    // an absolute link is resolved against the context root, as COPY does in Docker
    await expect(ctx.resolve('escape')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ctx.resolve('src/up/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await ctx.resolve('src/a.ts')).toBe(join(dir, 'src/a.ts'));
  });

  it('checksums content and modes, not timestamps', async () => {
    const ctx = new BuildContext(dir, 'node_modules\n');
    const before = await ctx.checksum(['src']);
    await utimes(join(dir, 'src/a.ts'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await ctx.checksum(['src'])).toBe(before);
    await writeFile(join(dir, 'src/lib/c.ts'), 'changed');
    const changed = await ctx.checksum(['src']);
    expect(changed).not.toBe(before);
    await chmod(join(dir, 'src/b.js'), 0o755);
    expect(await ctx.checksum(['src'])).not.toBe(changed);
    expect(await ctx.checksum(['src/a.ts'])).toBe(await ctx.checksum(['src/a.ts']));
  });
});
