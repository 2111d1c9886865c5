import { describe, expect, it } from 'vitest';
import type { ContainerCreateSpec } from '../src/types.js';
import { runCollect, useTestRuntime } from './helpers.js';

// Values that reach resolv.conf / hosts line by line, or the shim as C strings, are
// checked when the container is created: before, a line break added resolv.conf or
// /etc/hosts entries, a NUL silently cut a value short, and -u 99999999999 wrapped.
const env = useTestRuntime();
const create = (spec: Partial<ContainerCreateSpec>) => env.t.rt.containers.create({ image: env.image, cmd: ['true'], ...spec });

describe('create refuses values that would be cut short or inject lines', () => {
  it('--dns must be an IP address', async () => {
    await expect(create({ dns: ['192.0.2.1\nnameserver 198.51.100.66'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/invalid --dns .*not an IP address/),
    });
    await expect(create({ dns: ['192.0.2.1 options'] })).rejects.toThrow(/invalid --dns/);
    await expect(create({ dns: ['ns.example'] })).rejects.toThrow(/invalid --dns/);
    const r = await runCollect(env.t.rt, {
      image: env.image,
      autoRemove: true,
      dns: ['192.0.2.53', '2001:db8::53'],
      cmd: ['grep', '-c', 'nameserver', '/etc/resolv.conf'],
    });
    expect(r.stdout).toBe('2\n');
  });

  it('--add-host and --link aliases cannot add /etc/hosts lines', async () => {
    await expect(create({ extraHosts: ['a\u0001b:192.0.2.1'] })).rejects.toThrow(/invalid --add-host/);
    await expect(create({ extraHosts: ['a:192.0.2.1\n198.51.100.66 registry'] })).rejects.toThrow(/invalid --add-host/);
    await expect(create({ extraHosts: ['a:zz'] })).rejects.toThrow(/invalid --add-host/);
    const { id } = await env.t.rt.containers.run({ image: env.image, name: 'link-target', cmd: ['sleep', '30'] });
    try {
      await expect(create({ links: ['link-target:alias\n198.51.100.66 registry'] })).rejects.toThrow(/invalid --link/);
      const r = await runCollect(env.t.rt, {
        image: env.image,
        autoRemove: true,
        links: ['link-target:site'],
        extraHosts: ['db:192.0.2.7', 'v6:2001:db8::7'],
        cmd: ['sh', '-c', 'grep -c -E "site|db|v6" /etc/hosts'],
      });
      expect(r.stdout).toBe('3\n');
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });

  it('-u: uid and gid from 0 to 2^32-2, never wrapped', async () => {
    await expect(create({ user: '99999999999' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/invalid uid "99999999999": must be a number from 0 to 4294967294/),
    });
    await expect(create({ user: '4294967295' })).rejects.toThrow(/invalid uid/);
    await expect(create({ user: '0:99999999999' })).rejects.toThrow(/invalid gid/);
    const r = await runCollect(env.t.rt, { image: env.image, autoRemove: true, user: '4294967294:4294967294', cmd: ['sh', '-c', 'id -u; id -g'] });
    expect(r.stdout).toBe('4294967294\n4294967294\n');
  });

  it('NUL bytes in command, entrypoint, env, workdir and labels', async () => {
    const specs: Partial<ContainerCreateSpec>[] = [
      { cmd: ['echo', 'a\0b'] },
      { entrypoint: ['sh\0x'] },
      { env: ['A=1\0B=2'] },
      { workingDir: '/tmp\0/x' },
      { labels: { k: 'v\0w' } },
      { labels: { 'k\0': 'v' } },
    ];
    for (const spec of specs) {
      await expect(create(spec)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('contains a NUL byte') });
    }
  });

  it("a published port's host address and --ip must be IP addresses", async () => {
    await expect(create({ ports: [{ containerPort: 80, protocol: 'tcp', hostIp: 'localhost', hostPort: 0 }] })).rejects.toThrow(/invalid host IP/);
    await expect(create({ ip: '172.31.0.5\nx' })).rejects.toThrow(/invalid --ip/);
  });

  it('exec refuses NUL bytes and an out-of-range user too', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, cmd: ['sleep', '30'] });
    try {
      await expect(env.t.rt.containers.exec(id, { cmd: ['echo', 'a\0b'] })).rejects.toThrow(/command argument .* contains a NUL byte/);
      await expect(env.t.rt.containers.exec(id, { cmd: ['true'], env: ['A=\0'] })).rejects.toThrow(/NUL byte/);
      await expect(env.t.rt.containers.exec(id, { cmd: ['true'], user: '99999999999' })).rejects.toThrow(/invalid uid/);
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });
});
