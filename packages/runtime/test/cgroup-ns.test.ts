import { describe, expect, it } from 'vitest';
import { execOutput, runCollect, useTestRuntime } from './helpers.js';

/**
 * /sys/fs/cgroup inside a container (issue 24): the container's own cgroups, read-only,
 * through a private cgroup namespace, so runtimes that size themselves from their cgroup
 * (JVM, Node, Go) see their limits, and nothing of other containers or the host shows.
 */

const env = useTestRuntime();
const sh = (s: string) => ['sh', '-c', s];
const MiB256 = 256 * 1024 * 1024;
/** the memory limit as v1 or v2 shows it */
const READ_LIMIT = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max';

const execOut = (id: string, script: string) => execOutput(env.t.rt, id, sh(script));

describe('the container’s cgroups at /sys/fs/cgroup', () => {
  it('show the memory limit, and /proc/self/cgroup names the namespace root', async () => {
    const r = await runCollect(env.t.rt, {
      image: env.image,
      autoRemove: true,
      memory: MiB256,
      cmd: sh(`${READ_LIMIT}; grep -E "memory" /proc/self/cgroup | cut -d: -f3`),
    });
    expect(r.stdout).toBe(`${MiB256}\n/\n`);
  });

  it('are read-only', async () => {
    const script = [
      `echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null && echo wrote-limit`,
      `echo 1 > /sys/fs/cgroup/memory.max 2>/dev/null && echo wrote-max`,
      `mkdir /sys/fs/cgroup/memory/child 2>/dev/null && echo made-child`,
      `mkdir /sys/fs/cgroup/escape 2>/dev/null && echo made-top`,
      `echo $$ > /sys/fs/cgroup/memory/cgroup.procs 2>/dev/null && echo moved`,
      `ln -s / /sys/fs/cgroup/link 2>/dev/null && echo linked`,
      `grep " /sys/fs/cgroup" /proc/self/mounts | grep -vc " ro,"`,
    ].join('; ');
    // host networking binds the host's /sys: none of the host's (read-write) cgroup mounts may come along
    for (const network of [undefined, 'host', undefined, 'host']) {
      const r = await runCollect(env.t.rt, {
        image: env.image,
        autoRemove: true,
        network,
        memory: MiB256,
        cmd: sh(`${script}; grep -c " /sys/fs/cgroup" /proc/self/mountinfo`),
      });
      // no write succeeded, every cgroup mount is ro, and there is one per hierarchy plus the tmpfs (v1), or one (v2)
      expect(r.stdout, `network ${network ?? 'bridge'}`).toMatch(/^0\n([2-9]|1\d)\n$|^0\n1\n$/);
    }
  });

  it('show no other container’s cgroups nor the host’s, `..` included, with host networking too', async () => {
    const { id: other } = await env.t.rt.containers.run({ image: env.image, name: 'neighbour', memory: MiB256, cmd: ['sleep', '300'] });
    // directories anywhere under /sys/fs/cgroup (a hierarchy's root is the container's own cgroup: no children)
    const script = [
      'find /sys/fs/cgroup/ -mindepth 2 -type d | wc -l',
      `find /sys/fs/cgroup/ /sys/fs/cgroup/memory/.. /sys/fs/cgroup/memory/../.. 2>/dev/null | grep -c -e ${other.slice(0, 12)} -e ${env.t.cgroupParent} -e systemd -e unified`,
      // the members, read by the shell itself (no child to race): its own pid only
      'while read p; do echo "member $p"; done < /sys/fs/cgroup/memory/cgroup.procs',
    ].join('; ');
    for (const network of [undefined, 'host']) {
      const r = await runCollect(env.t.rt, { image: env.image, autoRemove: true, network, memory: MiB256, cmd: sh(script) });
      expect(r.stdout, `network ${network ?? 'bridge'}`).toBe('0\n0\nmember 1\n');
    }
    await env.t.rt.containers.remove(other, { force: true });
  });

  it('--cgroupns=host: the host namespace, and still only the container’s own cgroups, read-only', async () => {
    const { id: other } = await env.t.rt.containers.run({ image: env.image, name: 'neighbour2', memory: MiB256, cmd: ['sleep', '300'] });
    const script = [
      READ_LIMIT,
      'grep memory /proc/self/cgroup | cut -d: -f3',
      'find /sys/fs/cgroup/ -mindepth 2 -type d | wc -l',
      `find /sys/fs/cgroup/ /sys/fs/cgroup/memory/.. /sys/fs/cgroup/memory/../.. 2>/dev/null | grep -c -e ${other.slice(0, 12)} -e systemd -e unified`,
      'mkdir /sys/fs/cgroup/memory/child 2>/dev/null && echo made-child',
      'echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null && echo wrote-limit',
      'grep " /sys/fs/cgroup" /proc/self/mounts | grep -vc " ro,"',
    ].join('; ');
    const r = await runCollect(env.t.rt, { image: env.image, autoRemove: true, cgroupns: 'host', memory: MiB256, cmd: sh(script) });
    const [limit, path, ...rest] = r.stdout.split('\n');
    expect(limit).toBe(String(MiB256));
    expect(path).toMatch(new RegExp(`^/${env.t.cgroupParent}/[0-9a-f]{64}$`)); // the host's path, as Docker shows it
    expect(rest).toEqual(['0', '0', '0', '']);
    await expect(env.t.rt.containers.create({ image: env.image, cgroupns: 'sideways' as 'host' })).rejects.toThrow(/cgroup namespace mode/);
    await env.t.rt.containers.remove(other, { force: true });
  });

  it('exec joins the container’s cgroup namespace and sees the same view', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, memory: MiB256, cmd: ['sleep', '300'] });
    const out = await execOut(
      id,
      `${READ_LIMIT}; grep -E "memory" /proc/self/cgroup | cut -d: -f3; ls /sys/fs/cgroup/memory/ | grep -c ^memory.limit_in_bytes$ || true`,
    );
    expect(out.split('\n').slice(0, 2)).toEqual([String(MiB256), '/']);
    await env.t.rt.containers.remove(id, { force: true });
  });
});
