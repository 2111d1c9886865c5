import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerCgroup } from '../src/container/cgroup/cgroups.js';
import { runCollect, useTestRuntime } from './helpers.js';

const env = useTestRuntime();

/** kernel log lines carrying `marker` (a container that reaches /dev/kmsg writes there) */
const kmsgHas = (marker: string) => spawnSync('dmesg', [], { encoding: 'utf8' }).stdout.includes(marker);

/*
 * A default container keeps CAP_MKNOD (Docker's default set): the device cgroup is all
 * that stands between it and the host's devices. The attack: create /dev/kmsg (c 1:11)
 * and write into the host's kernel log (or, the same way, a host disk's block device).
 */
describe('device nodes', () => {
  it('a default container can create device nodes but use only the harmless ones', async () => {
    const marker = `skiff-kmsg-${randomBytes(6).toString('hex')}`;
    const r = await runCollect(env.t.rt, {
      image: env.image,
      cmd: [
        'sh',
        '-c',
        `mknod /tmp/kmsg c 1 11 && echo made; echo ${marker} > /tmp/kmsg && echo wrote-kmsg; mknod /tmp/disk b 7 0 && echo made-b; head -c1 /tmp/disk >/dev/null && echo read-disk; mknod /tmp/null c 1 3 && echo via-null > /tmp/null && echo null-ok; echo x > /dev/null && echo devnull-ok`,
      ],
    });
    expect(r.stdout).toContain('made'); // Docker allows mknod ("c *:* m")
    expect(r.stdout).not.toContain('wrote-kmsg');
    expect(r.stdout).not.toContain('read-disk');
    expect(r.stdout).toContain('null-ok');
    expect(r.stdout).toContain('devnull-ok');
    expect(kmsgHas(marker)).toBe(false);
  });

  it('exec in a running container is held by the same rules, privileged exec too (as in Docker)', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, cmd: ['sleep', '60'] });
    try {
      for (const privileged of [false, true]) {
        const marker = `skiff-kmsg-${randomBytes(6).toString('hex')}`;
        const s = await env.t.rt.containers.exec(id, {
          privileged,
          cmd: ['sh', '-c', `mknod /tmp/k${privileged} c 1 11; echo ${marker} > /tmp/k${privileged} && echo wrote`],
        });
        let out = '';
        s.on('stdout', (d: Buffer) => (out += d.toString()));
        await new Promise<number>((r) => s.on('exit', r));
        expect(out).not.toContain('wrote');
        expect(kmsgHas(marker)).toBe(false);
      }
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });
});

describe('device cgroup v2 (BPF filter)', () => {
  it('refuses /dev/kmsg and allows /dev/null to a process in the cgroup', async () => {
    const dir = join('/sys/fs/cgroup/unified', `skiff-test-dev-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    try {
      await new ContainerCgroup(2, { unified: dir }).create({});
      const marker = `skiff-kmsg-${randomBytes(6).toString('hex')}`;
      const r = spawnSync(
        'sh',
        ['-c', `echo $$ > ${dir}/cgroup.procs && exec sh -c 'echo ${marker} > /dev/kmsg && echo wrote-kmsg; echo x > /dev/null && echo null-ok'`],
        { encoding: 'utf8' },
      );
      expect(r.stdout).toContain('null-ok');
      expect(r.stdout).not.toContain('wrote-kmsg');
      expect(kmsgHas(marker)).toBe(false);
    } finally {
      rmdirSync(dir);
    }
  });

  it('rejects a malformed rule with a clear error', async () => {
    const dir = join('/sys/fs/cgroup/unified', `skiff-test-dev-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    try {
      const { attachDeviceFilter } = await import('../src/native/addon.js');
      expect(() => attachDeviceFilter(dir, 'c 1:x rwm')).toThrow(/device rule "c 1:x rwm"/);
    } finally {
      rmdirSync(dir);
    }
  });
});
