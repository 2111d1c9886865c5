import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';
import { connectWs } from './ws-trpc-client.js';

let agent: AgentHarness;
let image: string;
let op: ReturnType<typeof connect>;
let viewer: ReturnType<typeof connect>;
let admin: ReturnType<typeof connect>;
const name = `stk${randomBytes(3).toString('hex')}`;
const external = `ext${randomBytes(3).toString('hex')}`;
const subnet = freeTestSubnet();

const connect = (token: string) => connectWs(agent.port, token);

/** a web server and a client; `./` is bound into web, so relative paths resolve in the stack's directory */
const composeFile = (mode: string) => `
services:
  web:
    image: \${IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo hello \${GREETING} > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes:
      - ./:/stack:ro
    stop_grace_period: 1s
  client:
    image: \${IMAGE}
    depends_on: [web]
    environment:
      MODE: ${mode}
    stop_grace_period: 1s
    command: sh -c 'while true; do wget -qO- http://web/ || true; sleep 1; done'
networks:
  default:
    ipam:
      config:
        - subnet: ${subnet.subnet}
`;

function deploy(stack: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const sub = op.client.stacks.deploy.subscribe(
      { name: stack },
      {
        onData: (d) => {
          if ('event' in d) lines.push(`${d.event.kind} ${d.event.name}  ${d.event.status}`);
          else {
            sub.unsubscribe();
            resolve(lines);
          }
        },
        onError: reject,
      },
    );
  });
}

const idOf = (c: string) => agent.cli(['inspect', '-f', '{{.Id}}', c]).stdout.trim();

useAgent({}, (ctx) => ({ agent, image } = ctx));

beforeAll(() => {
  op = connect(agent.token('operate'));
  viewer = connect(agent.token('read'));
  admin = connect(agent.token('admin'));
});

afterAll(async () => {
  await op?.client.stacks.remove.mutate({ name, volumes: true }).catch(() => undefined);
  for (const c of [op, viewer, admin]) c?.close();
});

describe('stacks', () => {
  it('an invalid file is refused with its located error; validate gives line and column', async () => {
    const bad = 'services:\n  web:\n    imagee: busybox\n';
    await expect(op.client.stacks.save.mutate({ name, composeFile: bad, envFile: '' })).rejects.toThrow(
      /compose\.yaml:3:5: services\.web: unknown key "imagee" \(did you mean "image"\?\)/,
    );
    expect(await viewer.client.stacks.validate.query({ name, composeFile: bad, envFile: '' })).toMatchObject({
      ok: false,
      error: { file: 'compose.yaml', line: 3, col: 5, path: 'services.web' },
    });
    const env = await viewer.client.stacks.validate.query({ name, composeFile: 'services:\n  a:\n    image: x\n', envFile: 'A=1\nB="unterminated\n' });
    expect(env).toMatchObject({ ok: false, error: { file: '.env' } });
    await expect(viewer.client.stacks.get.query({ name })).rejects.toThrow(/no stack named/);
    await expect(op.client.stacks.save.mutate({ name: 'Bad Name', composeFile: 'services: {}', envFile: '' })).rejects.toThrow(/project name/);
  });

  it('save + deploy: two services running with compose labels in the stack directory; the list shows it', async () => {
    await expect(viewer.client.stacks.save.mutate({ name, composeFile: composeFile('one'), envFile: `IMAGE=${image}\n` })).rejects.toThrow(/operator/);
    const saved = await op.client.stacks.save.mutate({ name, composeFile: composeFile('one'), envFile: `IMAGE=${image}\nGREETING=stacks\n`, create: true });
    expect(saved.stack).toMatchObject({ name, updatedBy: 'admin' });
    await expect(op.client.stacks.save.mutate({ name, composeFile: composeFile('one'), envFile: `IMAGE=${image}\n`, create: true })).rejects.toThrow(
      /already exists/,
    );

    const lines = await deploy(name);
    expect(lines).toContain(`Network ${name}_default  Created`);
    expect(lines).toContain(`Container ${name}-web-1  Started`);
    expect(lines).toContain(`Container ${name}-client-1  Started`);

    const { stack, containers, dir } = await viewer.client.stacks.get.query({ name });
    expect(stack?.composeFile).toBe(composeFile('one'));
    expect(dir).toBe(join(agent.dir, 'root', 'stacks', name));
    expect(containers.map((c) => [c.labels['com.docker.compose.service'], c.state])).toEqual([
      ['client', 'running'],
      ['web', 'running'],
    ]);
    expect(containers[1]!.labels).toMatchObject({ 'com.docker.compose.project': name, 'com.docker.compose.project.working_dir': dir });
    // the file and .env were written there, and the relative bind reached them
    expect(agent.cli(['exec', `${name}-web-1`, 'cat', '/stack/.env']).stdout).toContain('GREETING=stacks');
    expect(agent.cli(['exec', `${name}-web-1`, 'cat', '/www/index.html']).stdout).toBe('hello stacks\n');

    // a compose project started elsewhere (the CLI) is listed as external
    expect(
      agent.cli([
        'run',
        '-d',
        '--name',
        `${external}-x-1`,
        '--label',
        `com.docker.compose.project=${external}`,
        '--label',
        'com.docker.compose.service=x',
        image,
        'sleep',
        '300',
      ]).code,
    ).toBe(0);
    const list = await viewer.client.stacks.list.query();
    expect(list.find((s) => s.name === name)).toMatchObject({ external: false, state: 'running', containers: 2 });
    expect(list.find((s) => s.name === external)).toMatchObject({ external: true, state: 'running', containers: 1 });
    expect(await viewer.client.stacks.get.query({ name: external })).toMatchObject({ stack: null, external: true });
    agent.cli(['rm', '-f', `${external}-x-1`]);
  });

  it('edit + redeploy recreates only the changed service; stop and start', async () => {
    const web = idOf(`${name}-web-1`);
    const client = idOf(`${name}-client-1`);
    const again = await deploy(name);
    expect(again.join('\n')).not.toMatch(/Recreate/);
    expect([idOf(`${name}-web-1`), idOf(`${name}-client-1`)]).toEqual([web, client]);

    await op.client.stacks.save.mutate({ name, composeFile: composeFile('two'), envFile: `IMAGE=${image}\nGREETING=stacks\n` });
    const lines = await deploy(name);
    expect(lines).toContain(`Container ${name}-client-1  Recreate`);
    expect(lines).not.toContain(`Container ${name}-web-1  Recreate`);
    expect(idOf(`${name}-web-1`)).toBe(web);
    expect(idOf(`${name}-client-1`)).not.toBe(client);

    await op.client.stacks.stop.mutate({ name });
    expect((await viewer.client.stacks.list.query()).find((s) => s.name === name)).toMatchObject({ state: 'stopped' });
    await op.client.stacks.start.mutate({ name });
    expect((await viewer.client.stacks.list.query()).find((s) => s.name === name)).toMatchObject({ state: 'running' });
  });

  it('remove: down and delete, leaving no container, network, record or directory; every change is audited', async () => {
    const { dir } = await viewer.client.stacks.get.query({ name });
    const { events } = await op.client.stacks.remove.mutate({ name });
    expect(events.map((e) => `${e.kind} ${e.name}  ${e.status}`)).toContain(`Network ${name}_default  Removed`);
    expect(agent.cli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${name}`]).stdout).toBe('');
    expect(agent.cli(['network', 'ls']).stdout).not.toContain(name);
    expect(existsSync(dir)).toBe(false);
    expect((await viewer.client.stacks.list.query()).map((s) => s.name)).not.toContain(name);
    await expect(viewer.client.stacks.get.query({ name })).rejects.toThrow(/no stack named/);

    const audit = await admin.client.audit.list.query({ actionContains: 'stacks.' });
    const actions = audit.filter((a) => a.target === name).map((a) => `${a.action} ${a.result}`);
    expect(actions).toEqual(
      expect.arrayContaining(['stacks.save error', 'stacks.save ok', 'stacks.deploy ok', 'stacks.stop ok', 'stacks.start ok', 'stacks.remove ok']),
    );
  });
});
