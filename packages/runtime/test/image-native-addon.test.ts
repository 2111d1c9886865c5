import { closeSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWinsize, lgetxattr, llistxattr, lsetxattr, mknod, MNT_DETACH, mount, openpty, S_IFCHR, S_IFIFO, setWinsize, umount2 } from '../src/native/addon.js';

let dir: string;
const mounted: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-addon-'));
});

afterAll(async () => {
  for (const m of mounted) {
    try {
      umount2(m, MNT_DETACH);
    } catch {
      /* already gone */
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('native addon', () => {
  it('mknod makes fifos and the 0:0 whiteout device, errors carry the errno name', () => {
    mknod(join(dir, 'fifo'), S_IFIFO | 0o640);
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    mknod(join(dir, 'wh'), S_IFCHR | 0o600, 0, 0);
    const st = lstatSync(join(dir, 'wh'));
    expect(st.isCharacterDevice() && st.rdev === 0).toBe(true);
    try {
      mknod(join(dir, 'fifo'), S_IFIFO | 0o640);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'EEXIST', syscall: 'mknod', path: join(dir, 'fifo') });
    }
  });

  it('sets, lists and reads xattrs without following symlinks', () => {
    const f = join(dir, 'x');
    writeFileSync(f, 'x');
    lsetxattr(f, 'user.skiff', Buffer.from('1'));
    lsetxattr(f, 'trusted.skiff', Buffer.from([0, 1, 2]));
    expect(llistxattr(f)).toEqual(expect.arrayContaining(['user.skiff', 'trusted.skiff']));
    expect(lgetxattr(f, 'user.skiff')?.toString()).toBe('1');
    expect([...lgetxattr(f, 'trusted.skiff')!]).toEqual([0, 1, 2]);
    expect(lgetxattr(f, 'user.absent')).toBeNull();
    expect(() => lgetxattr(join(dir, 'missing'), 'user.skiff')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('rejects arguments of the wrong type instead of crashing', () => {
    expect(() => (mknod as unknown as (a: unknown) => void)(42)).toThrow(TypeError);
    expect(() => lsetxattr(join(dir, 'x'), 'user.a', 'str' as unknown as Buffer)).toThrow(/must be a Buffer/);
  });

  it('mounts and unmounts a tmpfs', () => {
    const target = join(dir, 'mnt');
    mkdirSync(target);
    mount('tmpfs', target, 'tmpfs', 0, 'size=1m,mode=0700');
    mounted.push(target);
    writeFileSync(join(target, 'f'), 'in tmpfs');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(` ${target} `);
    umount2(target, 0);
    mounted.pop();
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(` ${target} `);
    expect(() => umount2(target, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('allocates a pty pair and sets its window size', () => {
    const pty = openpty();
    try {
      expect(pty.path).toMatch(/^\/dev\/pts\/\d+$/);
      setWinsize(pty.master, 40, 132);
      expect(getWinsize(pty.slave)).toEqual({ rows: 40, cols: 132 });
      // the fds are close-on-exec
      const flags = readFileSync(`/proc/self/fdinfo/${pty.master}`, 'utf8').match(/flags:\s+(\d+)/)![1]!;
      expect(parseInt(flags, 8) & 0o2000000).not.toBe(0);
    } finally {
      closeSync(pty.master);
      closeSync(pty.slave);
    }
    expect(() => setWinsize(pty.master, 1, 1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
