import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet, freePort } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerCompose, requireDockerCompose } from './docker-cli.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;
let dir: string;
let port: number;
const project = `dc${randomBytes(3).toString('hex')}`;
const subnet = freeTestSubnet();

/** docker-compose on the agent's Docker API socket, as this file's project */
const compose = (args: string[], input = '') => dockerCompose(agent, project, dir, args, input);
requireDockerCompose();

useAgent({}, (ctx) => ({ agent, image } = ctx));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-dcv1-'));
  port = await freePort();
  writeFileSync(
    join(dir, 'docker-compose.yml'),
    `version: "3.7"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports:
      - "127.0.0.1:${port}:80"
    volumes:
      - data:/data
  client:
    image: ${image}
    depends_on: [web]
    command: ["sh", "-c", "while true; do wget -qO- http://web/; sleep 0.5; done"]
networks:
  default:
    ipam:
      config:
        - subnet: ${subnet.subnet}
volumes:
  data: {}
`,
  );
});

afterAll(() => {
  if (agent) compose(['down', '-v', '-t', '1']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docker-compose (Debian, docker-py) against Skiff', () => {
  it("takes skiff compose config's output as its Compose file (but for the top-level name:, which 1.29 predates)", () => {
    const config = agent.cli(['compose', '-p', project, '-f', join(dir, 'docker-compose.yml'), 'config']);
    expect(config).toMatchObject({ code: 0, stderr: '' });
    expect(config.stdout).toMatch(new RegExp(`^name: ${project}\n`));
    const file = config.stdout.replace(/^name: .*\n/, '');
    expect(compose(['-f', '-', 'config', '-q'], file)).toMatchObject({ code: 0, stderr: '' });
    expect(compose(['-f', '-', 'config', '--services'], file).stdout.split('\n').filter(Boolean).sort()).toEqual(['client', 'web']);
    expect(compose(['-f', '-', 'config', '--volumes'], file).stdout).toBe('data\n');
    // what docker-compose makes of it: the same port, network and volume as from the original
    const read = compose(['-f', '-', 'config'], file).stdout;
    expect(read).toContain(`- 127.0.0.1:${port}:80/tcp\n`);
    expect(read).toContain(`name: ${project}_default`);
    expect(read).toContain(`subnet: ${subnet.subnet}`);
    expect(read).toContain(`name: ${project}_data`);
  });

  it('brings a two-service stack up, serves the port, resolves service names, and takes it down with its volume', async () => {
    const up = compose(['up', '-d']);
    expect(up.stderr).toMatch(new RegExp(`Creating ${project}_web_1 .*done`));
    expect(up.code).toBe(0);
    let body = '';
    for (let i = 0; i < 50 && body !== 'from-web\n'; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (body !== 'from-web\n') await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe('from-web\n');
    const ps = compose(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`${project}_web_1 .* Up .*127\\.0\\.0\\.1:${port}->80/tcp`));
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('from-web'); i++) {
      logs = compose(['logs', 'client']).stdout;
      if (!logs.includes('from-web')) await new Promise((r) => setTimeout(r, 300));
    }
    expect(logs).toContain('from-web');

    const down = compose(['down', '-v', '-t', '1']);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain(`Removing network ${project}_default`);
    const left = spawnSync('docker', ['ps', '-aq'], {
      env: { ...process.env, DOCKER_HOST: `unix://${agent.dockerSocket}`, DOCKER_CONFIG: agent.dir },
      encoding: 'utf8',
    });
    expect(left.stdout).toBe('');
    expect(agent.cli(['volume', 'ls']).stdout).not.toContain(project);
    expect(agent.cli(['network', 'ls']).stdout).not.toContain(project);
  });
});
