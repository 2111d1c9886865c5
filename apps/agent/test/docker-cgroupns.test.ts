import { describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

/**
 * The docker CLI's view of a container's cgroups (issue 24): `docker run -m` shows its
 * limit at /sys/fs/cgroup, read-only, in a private cgroup namespace by default, and
 * `--cgroupns=host` (HostConfig.CgroupnsMode) keeps the host's namespace.
 */

let agent: AgentHarness;
let image: string;
const { docker, ok } = dockerClient(() => agent);
useDockerAgent((ctx) => ({ agent, image } = ctx));

const LIMIT = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max';
const SCRIPT = `${LIMIT}; grep memory /proc/self/cgroup | cut -d: -f3; touch /sys/fs/cgroup/x 2>/dev/null && echo wrote; find /sys/fs/cgroup/ -mindepth 2 -type d | wc -l`;

describe('docker run: /sys/fs/cgroup', () => {
  it('shows the -m limit read-only in a private cgroup namespace', () => {
    const out = ok(['run', '--rm', '-m', '256m', image, 'sh', '-c', SCRIPT]);
    expect(out).toBe(`${256 * 1024 * 1024}\n/\n0\n`);
  });

  it('--cgroupns=host keeps the host namespace and still shows only the container’s own cgroups', () => {
    const id = ok(['run', '-d', '--cgroupns=host', '-m', '256m', image, 'sleep', '300']).trim();
    expect(ok(['inspect', '-f', '{{.HostConfig.CgroupnsMode}}', id])).toBe('host\n');
    const out = ok(['exec', id, 'sh', '-c', SCRIPT]).split('\n');
    expect(out[0]).toBe(String(256 * 1024 * 1024));
    expect(out[1]).toMatch(new RegExp(`/${agent.cgroupParent}/${id}$`)); // the host's path, as Docker shows it
    expect(out.slice(2)).toEqual(['0', '']);
    ok(['rm', '-f', id]);
    const bad = docker(['run', '--rm', '--cgroupns=sideways', image, 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/cgroup/i);
  });

  it('skiff run --cgroupns takes the same modes', () => {
    const r = agent.cli(['run', '--rm', '--cgroupns', 'host', image, 'sh', '-c', 'grep memory /proc/self/cgroup | cut -d: -f3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^/${agent.cgroupParent}/[0-9a-f]{64}\n$`));
    expect(agent.cli(['run', '--rm', '--cgroupns=private', image, 'sh', '-c', 'grep memory /proc/self/cgroup | cut -d: -f3']).stdout).toBe('/\n');
    const bad = agent.cli(['run', '--rm', '--cgroupns', 'sideways', image, 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid cgroup namespace mode: sideways');
  });
});
