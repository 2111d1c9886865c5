import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet, freePort } from '@skiff/test-fixtures';
import { SKIFF, type AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;
let dir: string;
let port: number;
const project = `st${randomBytes(3).toString('hex')}`;
const subnet = freeTestSubnet();

/** the seed notes' kind of stack: a web server and a client that reaches it by service name */
function composeYaml(opts: { clientMode?: string } = {}): string {
  return `
services:
  web:
    image: \${IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo \\"hello from \${GREETING:-web}\\" > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports:
      - "127.0.0.1:${port}:80"
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD-SHELL", "wget -qO- http://127.0.0.1/ >/dev/null"]
      interval: 300ms
      timeout: 2s
      retries: 20
    labels:
      app.tier: front
  client:
    image: \${IMAGE}
    depends_on:
      web:
        condition: service_healthy
    environment:
      MODE: ${opts.clientMode ?? 'first'}
    command: sh -c 'while true; do wget -qO- http://web/; sleep 0.5; done'
networks:
  default:
    ipam:
      config:
        - subnet: ${subnet.subnet}
volumes:
  data: {}
`;
}

function compose(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(SKIFF, ['compose', ...args], {
    cwd: opts.cwd ?? dir,
    env: { ...agent.env, IMAGE: image, COMPOSE_PROJECT_NAME: project },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor<T>(fn: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

useAgent({}, (ctx) => ({ agent, image } = ctx));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-compose-'));
  port = await freePort();
  writeFileSync(join(dir, 'compose.yaml'), composeYaml());
  writeFileSync(join(dir, '.env'), 'GREETING=compose\n');
});

afterAll(() => {
  if (agent) compose(['down', '-v']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('skiff compose', () => {
  it('up -d: pulls, creates the network and volume, waits for the healthy web before the client, publishes the port', async () => {
    const up = compose(['up', '-d']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const lines = up.stdout.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at(`Network ${project}_default  Created`)).toBeGreaterThanOrEqual(0);
    expect(at(`Volume ${project}_data  Created`)).toBeGreaterThanOrEqual(0);
    expect(at(`Container ${project}-web-1  Healthy`)).toBeGreaterThan(at(`Container ${project}-web-1  Started`));
    expect(at(`Container ${project}-client-1  Started`)).toBeGreaterThan(at(`Container ${project}-web-1  Healthy`));

    // .env feeds interpolation; the port answers on 127.0.0.1
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello from compose\n');
    const ps = compose(['ps']);
    expect(ps.stdout).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS/);
    expect(ps.stdout).toMatch(new RegExp(`${project}-web-1 .* web .*\\(healthy\\).*127\\.0\\.0\\.1:${port}->80/tcp`));
    expect(compose(['ps', '--services']).stdout).toBe('client\nweb\n');
    expect(compose(['ls']).stdout).toMatch(new RegExp(`${project}\\s+running\\(2\\)`));

    // the client reaches web by its service name on the project network
    await waitFor(() => compose(['logs', 'client']).stdout.includes(`${project}-client-1  | hello from compose`), 20_000, 'client output');
    expect(compose(['exec', '-T', 'web', 'cat', '/www/index.html'])).toMatchObject({ code: 0, stdout: 'hello from compose\n' });
    expect(compose(['exec', '-T', 'nosuch', 'true']).stderr).toMatch(/service "nosuch" is not running/);
    const inspect = JSON.parse(agent.cli(['inspect', `${project}-web-1`]).stdout)[0];
    expect(inspect.Config.Labels).toMatchObject({ 'com.docker.compose.project': project, 'com.docker.compose.service': 'web', 'app.tier': 'front' });
  });

  it('a second up changes nothing; editing one service recreates only it', () => {
    const idOf = (name: string) => agent.cli(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
    const web = idOf(`${project}-web-1`);
    const client = idOf(`${project}-client-1`);
    const again = compose(['up', '-d']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Container ${project}-web-1  Running`);
    expect(again.stdout).not.toMatch(/Recreate|Creating/);
    expect([idOf(`${project}-web-1`), idOf(`${project}-client-1`)]).toEqual([web, client]);

    writeFileSync(join(dir, 'compose.yaml'), composeYaml({ clientMode: 'second' }));
    const edited = compose(['up', '-d']);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`Container ${project}-client-1  Recreate`);
    expect(edited.stdout).not.toContain(`Container ${project}-web-1  Recreate`);
    expect(idOf(`${project}-web-1`)).toBe(web);
    expect(idOf(`${project}-client-1`)).not.toBe(client);
  });

  it('config prints a Compose file that loads again to the same project; malformed YAML, unknown keys and bad values are located errors', () => {
    const config = compose(['config']);
    expect(config).toMatchObject({ code: 0, stderr: '' });
    // interpolated, short syntaxes expanded, not the internal model
    expect(config.stdout).toMatch(new RegExp(`^name: ${project}\nservices:\n  web:\n    image: ${image}\n`));
    expect(config.stdout).toContain(`      - 127.0.0.1:${port}:80/tcp\n`);
    expect(config.stdout).toContain('hello from compose');
    expect(config.stdout).toMatch(/depends_on:\n\s+web:\n\s+condition: service_healthy\n/);
    expect(config.stdout).not.toMatch(/environment:\n\s+\{|dependsOn|replicas|pullPolicy/);
    // fed back, the same document and the same project: `up` finds nothing to recreate
    expect(compose(['-f', '-', 'config'], { input: config.stdout })).toMatchObject({ code: 0, stdout: config.stdout });
    const again = compose(['-f', '-', 'up', '-d'], { input: config.stdout });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Container ${project}-web-1  Running`);
    expect(again.stdout).toContain(`Container ${project}-client-1  Running`);
    expect(again.stdout).not.toMatch(/Recreate|Creat/);
    expect(compose(['config', '--services']).stdout).toBe('web\nclient\n');
    expect(compose(['config', '--volumes']).stdout).toBe('data\n');
    expect(compose(['config', '-q'])).toMatchObject({ code: 0, stdout: '', stderr: '' });

    const bad = mkdtempSync(join(dir, 'bad-'));
    const check = (yaml: string, pattern: RegExp) => {
      writeFileSync(join(bad, 'compose.yaml'), yaml);
      const r = compose(['config'], { cwd: bad });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    };
    check('services:\n  web:\n    image: [unclosed\n', /compose\.yaml:\d+:\d+: /);
    check('services:\n  web:\n    imagee: busybox\n', /compose\.yaml:3:5: services\.web: unknown key "imagee" \(did you mean "image"\?\)/);
    check('services:\n  web:\n    image: busybox\n    ports:\n      - "80:80:80:80"\n', /compose\.yaml:5:9: services\.web\.ports\[0\]: invalid port/);
    check('services:\n  web:\n    image: busybox\n    depends_on: [db]\n', /depends on undefined service "?db"?|unknown service|"db"/);
    mkdirSync(join(bad, 'empty'));
    const none = compose(['ps'], { cwd: join(bad, 'empty') });
    expect(none.code).toBe(0); // COMPOSE_PROJECT_NAME names the project without a file
  });

  it('stop, start and restart print a line per container; down -v leaves no container, network or volume behind', async () => {
    // each container's lines as docker compose prints them (the order is the engine's, not checked here)
    const progress = (r: { code: number; stdout: string }, ...lines: string[]) => {
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(lines.map((l) => ` ✔ Container ${project}-${l}`).sort());
    };
    progress(compose(['stop', '-t', '2']), 'client-1  Stopping', 'client-1  Stopped', 'web-1  Stopping', 'web-1  Stopped');
    expect(compose(['ps']).stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(compose(['ps', '-a']).stdout).toMatch(/Exited/);
    progress(compose(['start']), 'web-1  Starting', 'web-1  Started', 'client-1  Starting', 'client-1  Started');
    await waitFor(() => (compose(['ps', '-q']).stdout.split('\n').filter(Boolean).length === 2 ? true : undefined), 20_000, 'both running');
    expect(compose(['restart', '-t', '1', 'client'])).toMatchObject({
      code: 0,
      stdout: ` ✔ Container ${project}-client-1  Restarting\n ✔ Container ${project}-client-1  Started\n`,
    });
    expect(compose(['stop', '-t', 'soon']).stderr).toMatch(/invalid --timeout "soon"/);
    // COMMAND as docker compose shows it: the daemon's command (an argument with spaces in
    // single quotes) quoted whole, `"` escaped
    expect(compose(['ps', '--no-trunc']).stdout).toContain(
      `"sh -c 'mkdir -p /www && echo \\"hello from compose\\" > /www/index.html && exec httpd -f -p 80 -h /www'"`,
    );
    expect(compose(['ps']).stdout).toContain(`"sh -c 'mkdir -p /ww…"`);

    const down = compose(['down', '-v']);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Network ${project}_default  Removed`);
    expect(down.stdout).toContain(`Volume ${project}_data  Removed`);
    expect(agent.cli(['ps', '-aq']).stdout).toBe('');
    expect(agent.cli(['network', 'ls']).stdout).not.toContain(project);
    expect(agent.cli(['volume', 'ls']).stdout).not.toContain(project);
    expect(compose(['ls']).stdout).not.toContain(project);
  });

  it('builds a service from its build context (up --build rebuilds after a change), and names the image <project>-<service>', async () => {
    const built = `${project}b`;
    const root = mkdtempSync(join(dir, 'build-'));
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app', 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY msg.txt /msg.txt\nCMD ["sh", "-c", "cat /msg.txt; sleep 300"]\n');
    writeFileSync(join(root, 'app', 'msg.txt'), 'version one\n');
    writeFileSync(
      join(root, 'compose.yaml'),
      `services:\n  app:\n    build:\n      context: ./app\n      args:\n        BASE: \${IMAGE}\n    network_mode: none\n`,
    );
    const run = (args: string[]) =>
      spawnSync(SKIFF, ['compose', '-p', built, ...args], { cwd: root, env: { ...agent.env, IMAGE: image }, encoding: 'utf8', timeout: 120_000 });
    const up = run(['up', '-d']);
    expect(up.stderr).toBe('');
    expect(up.stdout).toContain('Step 1/');
    expect(up.stdout).toContain(`Service app  Built`);
    expect(agent.cli(['images']).stdout).toMatch(new RegExp(`^${built}-app\\s+latest`, 'm'));
    await waitFor(() => run(['logs', 'app']).stdout.includes('version one'), 15_000, 'app output');

    writeFileSync(join(root, 'app', 'msg.txt'), 'version two\n');
    expect(run(['up', '-d']).stdout).not.toContain('Built'); // the image exists: no rebuild without --build
    const rebuilt = run(['up', '-d', '--build']);
    expect(rebuilt.stdout).toContain(`Container ${built}-app-1  Recreate`);
    await waitFor(() => run(['logs', 'app']).stdout.includes('version two'), 15_000, 'rebuilt app output');
    expect(run(['down']).status).toBe(0);
  });

  it('up without -d follows the logs with service prefixes and stops the project on Ctrl-C', async () => {
    const attached = `${project}a`;
    const root = mkdtempSync(join(dir, 'attached-'));
    writeFileSync(
      join(root, 'compose.yaml'),
      'services:\n  talker:\n    image: ${IMAGE}\n    network_mode: none\n    command: sh -c \'trap "exit 0" TERM; while true; do echo tick; sleep 0.3; done\'\n',
    );
    const child = spawn(SKIFF, ['compose', '-p', attached, 'up'], { cwd: root, env: { ...agent.env, IMAGE: image } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await waitFor(() => out.includes(`${attached}-talker-1  | tick`), 30_000, 'prefixed log lines');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out).toContain('Gracefully stopping...');
    const ps = spawnSync(SKIFF, ['compose', '-p', attached, 'ps', '-a'], { cwd: root, env: agent.env, encoding: 'utf8' });
    expect(ps.stdout).toMatch(/Exited \(0\)/);
    expect(spawnSync(SKIFF, ['compose', '-p', attached, 'down'], { cwd: root, env: agent.env }).status).toBe(0);
  });
});
