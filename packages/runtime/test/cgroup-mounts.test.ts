import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupMountLines, parseCgroupMounts } from '../src/container/cgroup/cgroup-mounts.js';

/**
 * What the agent tells the shim to mount at a container's /sys/fs/cgroup (`cgroupMount`
 * lines): worked out from the host's mountinfo by the agent, so the shim's start path
 * reads no mountinfo (0.25–0.9 ms a start).
 */

const HYBRID = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:9 - cgroup cgroup rw,cpuset,clone_children',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory,release_agent=/x',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
  '50 23 0:40 / /mnt/with\\040space rw - cgroup cgroup rw,pids',
].join('\n');

describe('the host cgroup mounts for the shim', () => {
  it('parse mountinfo: mount points, v1 controllers without flags, v2', () => {
    expect(parseCgroupMounts(HYBRID)).toEqual([
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', v2: false, controllers: 'cpu,cpuacct' },
      { mountPoint: '/sys/fs/cgroup/cpuset', v2: false, controllers: 'cpuset' },
      { mountPoint: '/sys/fs/cgroup/memory', v2: false, controllers: 'memory' },
      { mountPoint: '/sys/fs/cgroup/systemd', v2: false, controllers: 'name=systemd' },
      { mountPoint: '/sys/fs/cgroup/unified', v2: true, controllers: '' },
      { mountPoint: '/mnt/with space', v2: false, controllers: 'pids' },
    ]);
  });

  it('give one line per hierarchy of the container’s cgroup dirs on this host', () => {
    const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
    const v1 = mounts.filter((m) => !m.v2).map((m) => m.mountPoint);
    const dirs = v1.length ? v1.map((m) => join(m, 'skiff', 'abc')) : [join(mounts.find((m) => m.v2)!.mountPoint, 'skiff', 'abc')];
    const lines = cgroupMountLines(dirs).map((l) => l.split('\t'));
    expect(lines.map((l) => l[3])).toEqual(dirs);
    for (const [mnt, fstype, controllers, dir] of lines) {
      expect(dir!.startsWith(`${mnt}/`)).toBe(true);
      expect(fstype).toBe(v1.length ? 'cgroup' : 'cgroup2');
      if (fstype === 'cgroup') expect(controllers).toMatch(/^[a-z_=,]+$/);
    }
  });

  it('resolve a dir reached through a link, once per hierarchy', () => {
    const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
    const first = mounts[0];
    if (!first) return; // no cgroup mounted at all
    // a link outside any cgroup mount into one: resolved to the real hierarchy
    const scratch = mkdtempSync(join(tmpdir(), 'skiff-cgm-'));
    try {
      symlinkSync(first.mountPoint, join(scratch, 'link'));
      mkdirSync(join(scratch, 'plain'));
      const lines = cgroupMountLines([join(scratch, 'link'), first.mountPoint, join(scratch, 'plain')]);
      expect(lines).toEqual([[first.mountPoint, first.v2 ? 'cgroup2' : 'cgroup', first.controllers, first.mountPoint].join('\t')]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
