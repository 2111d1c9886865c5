/**
 * A cleanup the runtime cannot finish is logged with the container's id, not dropped: the
 * operator sees in the agent's log which container left what behind (issue 23, "Failures
 * vanish"). The failure is real: a child cgroup made inside the container's cgroup keeps
 * the kernel from removing it (rmdir: EBUSY), as a monitoring agent's sub-cgroup would.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgent } from './use-agent.js';

const fx = useAgent({ pull: true });

/** the container's cgroup directories, under every hierarchy the agent uses (v1 or v2) */
function containerCgroups(parent: string, id: string): string[] {
  const v1 = readdirSync('/sys/fs/cgroup').filter((h) => existsSync(join('/sys/fs/cgroup', h, parent, id)));
  return v1.length ? v1.map((h) => join('/sys/fs/cgroup', h, parent, id)) : [join('/sys/fs/cgroup', parent, id)].filter((d) => existsSync(d));
}

/** the agent's log lines that parse as JSON (the logger's lines) */
function logLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch (e) {
      throw new Error(`a log line that starts like JSON does not parse (${(e as Error).message}): ${l}`);
    }
  });
}

describe('cleanup failures in the agent log', () => {
  it('logs a container cgroup that cannot be removed at warn, with the container id and EBUSY, and still removes the container', async () => {
    const { agent, image } = fx;
    const run = agent.cli(['run', '-d', image, 'sleep', '1d']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const dirs = containerCgroups(agent.cgroupParent, id);
    expect(dirs.length, `no cgroup of ${id}`).toBeGreaterThan(0);
    const blocker = join(dirs[0]!, 'held-by-test');
    mkdirSync(blocker);
    try {
      const rm = agent.cli(['rm', '-f', id]);
      expect(rm.code, rm.stderr).toBe(0);
      expect(agent.cli(['inspect', id]).code).not.toBe(0);
      let warned: Record<string, unknown>[] = [];
      for (let i = 0; i < 50 && !warned.length; i++) {
        warned = logLines(agent.output).filter((l) => l.container === id && l.level === 'warn' && /cgroup/.test(String(l.msg)));
        if (!warned.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(warned, agent.output.slice(-3000)).toContainEqual(
        expect.objectContaining({
          component: 'lifecycle',
          msg: 'removing its cgroup',
          err: expect.objectContaining({ code: 'EBUSY', message: expect.stringContaining(id) }),
        }),
      );
      expect(warned[0]!.time).toEqual(expect.any(String));
    } finally {
      rmdirSync(blocker);
      for (const d of containerCgroups(agent.cgroupParent, id)) rmdirSync(d);
    }
  }, 120_000);
});
