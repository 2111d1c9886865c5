import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

let agent: AgentHarness;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;

const { env: dockerEnv, ok, api } = dockerClient(() => agent);

useDockerAgent((ctx) => ({ agent, image } = ctx));

/** the docker CLI on a terminal of rows×cols (python's pty), `typed` typed into it; what the terminal showed */
function onTerminal(rows: number, cols: number, expect: string, args: string[], typed: string[]) {
  const r = spawnSync('python3', [join(import.meta.dirname, 'fixtures/tty-drive.py'), String(rows), String(cols), expect, 'docker', ...args], {
    env: dockerEnv(),
    input: typed.join('\n'),
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status ?? -1, screen: r.stdout };
}

describe("the docker CLI on a terminal: the container TTY has the terminal's size", () => {
  it("docker run -it: stty size inside is the terminal's (POST /containers/{id}/resize)", () => {
    const name = u('runit');
    const r = onTerminal(41, 123, '41 123', ['run', '-it', '--name', name, image, 'sh'], ['stty size']);
    expect(r.screen).toMatch(/41 123/);
    expect(r.code).toBe(0);
    ok(['rm', '-f', name]);
  }, 120_000);

  it("docker attach on a TTY container: the attaching terminal's size", () => {
    const name = u('attach');
    ok(['run', '-dit', '--name', name, image, 'sh']);
    const r = onTerminal(37, 99, '37 99', ['attach', name], ['stty size']);
    expect(r.screen).toMatch(/37 99/);
    ok(['rm', '-f', name]);
  }, 120_000);

  it('resize: 400 without a size, 409 on a stopped container, 404 on an unknown one', async () => {
    const name = u('resize');
    ok(['create', '-t', '--name', name, image, 'sh']);
    expect((await api('POST', `/containers/${name}/resize?h=10&w=20`)).status).toBe(409);
    expect((await api('POST', `/containers/${name}/resize?h=0&w=20`)).status).toBe(400);
    expect((await api('POST', `/containers/nothing-${tag}/resize?h=10&w=20`)).status).toBe(404);
    ok(['rm', '-f', name]);
  });
});
