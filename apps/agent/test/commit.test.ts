import { describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;

useAgent({ pull: true }, (ctx) => ({ agent, image } = ctx));

describe('skiff commit', () => {
  it('commits a container with -a/-m/-c and runs the new image', () => {
    expect(agent.cli(['run', '--name', 'src', image, 'sh', '-c', 'echo added > /added; rm /bin/ls']).code).toBe(0);
    const commit = agent.cli([
      'commit',
      '-a',
      'CLI Tester',
      '-m',
      'from the cli',
      '-c',
      'CMD ["cat","/added"]',
      '-c',
      'ENV FROM_CLI=1',
      'src',
      'cli/committed:v2',
    ]);
    expect(commit).toMatchObject({ code: 0, stderr: '' });
    expect(commit.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const id = commit.stdout.trim();

    expect(agent.cli(['run', '--rm', 'cli/committed:v2'])).toMatchObject({ code: 0, stdout: 'added\n' });
    expect(agent.cli(['run', '--rm', 'cli/committed:v2', 'sh', '-c', 'echo $FROM_CLI; ls /bin/ls 2>&1 || true']).stdout).toMatch(/^1\n.*No such file/);
    const images = agent
      .cli(['images', '--no-trunc', '--format', 'json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(images.find((i) => i.ID === id)).toMatchObject({ Repository: 'cli/committed', Tag: 'v2' });
    // diff lists what the layer holds
    expect(agent.cli(['diff', 'src']).stdout).toBe('A /added\nC /bin\nD /bin/ls\n');
  });

  it('commits a running container without pausing it, dangling without a name', () => {
    expect(agent.cli(['run', '-d', '--name', 'busy', image, 'sh', '-c', 'echo busy > /busy; exec sleep 1000']).code).toBe(0);
    for (let i = 0; i < 50 && !agent.cli(['diff', 'busy']).stdout.includes('/busy'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    const commit = agent.cli(['commit', '--pause=false', 'busy']);
    expect(commit.code).toBe(0);
    const id = commit.stdout.trim();
    const images = agent
      .cli(['images', '--no-trunc', '--format', 'json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(images.find((i) => i.ID === id)).toMatchObject({ Repository: '<none>', Tag: '<none>' });
    expect(agent.cli(['run', '--rm', id, 'cat', '/busy']).stdout).toBe('busy\n');
    expect(agent.cli(['ps', '--format', 'json']).stdout).toContain('"State":"running"');
  });

  it('fails cleanly for a missing container, bad changes and bad arguments', () => {
    const ghost = agent.cli(['commit', 'ghost']);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toMatch(/no such container: ghost/);
    expect(agent.cli(['commit', '-c', 'RUN true', 'src']).stderr).toMatch(/RUN is not a valid change command/);
    expect(agent.cli(['commit']).stderr).toMatch(/requires at least 1 and at most 2 arguments/);
    for (const r of [ghost]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
