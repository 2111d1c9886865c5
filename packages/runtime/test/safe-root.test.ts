import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeQuietly, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_WRONLY, openInRoot, openRootDir } from '../src/container/fs/root-fd.js';
import { openContainerRoot } from '../src/container/fs/container-root.js';
import { Conflict } from '../src/errors.js';
import { forceOpenat2Fallback, readlinkat } from '../src/native/addon.js';

// openat2(RESOLVE_IN_ROOT) and its emulation for kernels without openat2 must resolve the
// same way, and neither may leave the root, even while the tree is swapped under them.

let base: string;
let root: string;
let outside: string;
let swapBin: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'skiff-safe-root-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'd'));
  mkdirSync(outside);
  writeFileSync(join(root, 'etc/passwd'), 'root-passwd');
  writeFileSync(join(outside, 'secret'), 'outside-secret');
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('../../../../..', join(root, 'up'));
  symlinkSync('../etc/passwd', join(root, 'd/rel'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('/newfile', join(root, 'dangle'));
  symlinkSync(outside, join(root, 'out'));
  writeFileSync(
    join(base, 'swap.c'),
    '#define _GNU_SOURCE\n#include <fcntl.h>\n#include <stdio.h>\nint main(int c, char **v) { for (;;) renameat2(AT_FDCWD, v[1], AT_FDCWD, v[2], RENAME_EXCHANGE); }\n',
  );
  swapBin = join(base, 'swap');
  execFileSync('gcc', ['-O2', '-o', swapBin, join(base, 'swap.c')]);
});
afterAll(() => {
  forceOpenat2Fallback(false);
  rmSync(base, { recursive: true, force: true });
});

const read = (rootFd: number, path: string) => {
  const fd = openInRoot(rootFd, path, O_RDONLY);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe("a running container's root", () => {
  it("is refused when the pid is not in the container's cgroup (an exited container's pid reused)", () => {
    expect(() => openContainerRoot(process.pid, 'f'.repeat(64))).toThrow(Conflict);
  });
});

describe.each([
  ['openat2', false],
  ['the emulation', true],
])('lookups in a root with %s', (_name, fallback) => {
  let rootFd: number;
  beforeAll(() => {
    forceOpenat2Fallback(fallback);
    rootFd = openRootDir(root);
  });
  afterAll(() => {
    closeQuietly(rootFd);
    forceOpenat2Fallback(false);
  });

  it('resolves absolute links, `..` and relative links inside the root', () => {
    for (const p of ['/etc/passwd', 'abs/passwd', '/up/etc/passwd', 'd/rel', '../../etc/passwd', 'd/../../abs/./passwd'])
      expect(read(rootFd, p)).toBe('root-passwd');
    expect(codeOf(() => read(rootFd, 'out/secret'))).toBe('ENOENT'); // the host path named by the link does not exist in the root
    expect(codeOf(() => read(rootFd, 'loop1'))).toBe('ELOOP');
    expect(codeOf(() => openInRoot(rootFd, 'etc/passwd/', O_RDONLY))).toBe('ENOTDIR');
    expect(codeOf(() => openInRoot(rootFd, 'd/', O_RDONLY | O_DIRECTORY))).toBe('ok');
  });

  it('opens a final symlink itself with O_NOFOLLOW and creates through links only inside', () => {
    const fd = openInRoot(rootFd, 'abs', O_PATH | O_NOFOLLOW);
    expect(readlinkat(fd, '')).toBe('/etc');
    closeSync(fd);
    expect(codeOf(() => openInRoot(rootFd, 'abs', O_RDONLY | O_NOFOLLOW))).toBe('ELOOP');
    expect(codeOf(() => openInRoot(rootFd, 'd/rel', O_WRONLY | O_CREAT | O_EXCL, 0o644))).toBe('EEXIST');
    expect(codeOf(() => openInRoot(rootFd, 'dangle', O_WRONLY | O_CREAT | O_EXCL, 0o644))).toBe('EEXIST');
    closeSync(openInRoot(rootFd, 'dangle', O_WRONLY | O_CREAT, 0o644));
    expect(readdirSync(root)).toContain('newfile');
    rmSync(join(root, 'newfile'));
  });

  it('never reads or creates outside while a directory is swapped with a symlink out', async () => {
    mkdirSync(join(root, 'w'));
    writeFileSync(join(root, 'w/secret'), 'decoy');
    symlinkSync(outside, join(root, 'w.sym'));
    const swapper: ChildProcess = spawn(swapBin, [join(root, 'w'), join(root, 'w.sym')], { stdio: 'ignore' });
    try {
      let leaks = 0;
      let reads = 0;
      for (let i = 0; i < 3000; i++) {
        try {
          if (read(rootFd, 'w/secret') === 'outside-secret') leaks++;
          reads++;
        } catch {
          // the symlink's target does not exist in the root: ENOENT is the right answer
        }
        try {
          closeSync(openInRoot(rootFd, `w/new-${i}`, O_WRONLY | O_CREAT | O_EXCL, 0o644));
        } catch {
          // as above
        }
      }
      expect(leaks).toBe(0);
      expect(reads).toBeGreaterThan(0);
      expect(readdirSync(outside)).toEqual(['secret']);
    } finally {
      swapper.kill('SIGKILL');
      await new Promise((r) => swapper.once('exit', r));
      rmSync(join(root, 'w'), { recursive: true, force: true });
      rmSync(join(root, 'w.sym'), { recursive: true, force: true });
    }
  });
});
