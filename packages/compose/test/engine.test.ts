import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, freeTestSubnet, stopFixtureRegistry, freePort } from '@skiff/test-fixtures';
import { TestRuntime, waitFor } from '../../runtime/test/helpers.js';
import { ComposeEngine, COMPOSE_LABEL, type ComposeEvent } from '../src/index.js';
import type { ComposeProject, ServiceConfig } from '../src/model.js';
import { serviceDefaults } from './helpers.js';

let t: TestRuntime;
let image: string;
let engine: ComposeEngine;
const projectName = `ct${randomBytes(3).toString('hex')}`;

/** a service with the loader's defaults, so tests state only what matters */
function service(name: string, s: Partial<ServiceConfig>): ServiceConfig {
  return { name, image, ...serviceDefaults(), ...s };
}

let port: number;
const subnet = freeTestSubnet();

function stack(overrides: { client?: Partial<ServiceConfig>; web?: Partial<ServiceConfig>; extra?: Record<string, ServiceConfig> } = {}): ComposeProject {
  return {
    name: projectName,
    workingDir: '/tmp',
    services: {
      web: service('web', {
        command: ['sh', '-c', 'mkdir -p /www && echo "hello from $WHO" > /www/index.html && exec httpd -f -p 80 -h /www'],
        environment: { WHO: 'web' },
        ports: [{ target: 80, published: String(port), hostIp: '127.0.0.1', protocol: 'tcp' }],
        volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }],
        ...overrides.web,
      }),
      client: service('client', {
        command: ['sh', '-c', 'while true; do wget -qO- http://web/ > /tmp/got 2>/dev/null && cat /tmp/got; sleep 0.3; done'],
        dependsOn: { web: { condition: 'service_started', required: true, restart: true } },
        ...overrides.client,
      }),
      ...overrides.extra,
    },
    networks: { default: { name: `${projectName}_default`, external: false, internal: false, subnet: subnet.subnet, gateway: subnet.gateway, labels: {} } },
    volumes: { data: { name: `${projectName}_data`, external: false, labels: {} } },
  };
}

async function logsOf(name: string): Promise<string> {
  let out = '';
  for await (const e of t.rt.containers.logs(name)) out += e.line;
  return out;
}

async function up(p: ComposeProject, opts: Parameters<ComposeEngine['up']>[1] = {}): Promise<ComposeEvent[]> {
  const events: ComposeEvent[] = [];
  await engine.up(p, { ...opts, onEvent: (e) => events.push(e) });
  return events;
}

const ids = async () => Object.fromEntries((await engine.containers(projectName)).map((c) => [c.names[0]!.slice(1), c.id]));

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host]);
  engine = new ComposeEngine(t.rt);
  port = await freePort();
}, 120_000);

afterAll(async () => {
  await engine?.down(projectName, { volumes: true }).catch((e: unknown) => console.warn(`test cleanup: compose down ${projectName}: ${(e as Error).message}`));
  await t?.dispose();
  await stopFixtureRegistry();
}, 60_000);

describe('compose engine', () => {
  it('brings a two-service stack up: network, volume, published port, name resolution between services', async () => {
    const events = await up(stack());
    const lines = events.map((e) => `${e.kind} ${e.name} ${e.status}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        `Network ${projectName}_default Created`,
        `Volume ${projectName}_data Created`,
        `Container ${projectName}-web-1 Started`,
        `Container ${projectName}-client-1 Started`,
      ]),
    );
    // web before client (depends_on)
    expect(lines.indexOf(`Container ${projectName}-web-1 Started`)).toBeLessThan(lines.indexOf(`Container ${projectName}-client-1 Creating`));
    const body = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.text(),
          () => undefined,
        ),
      15_000,
      'the published port',
    );
    expect(body).toBe('hello from web\n');
    await waitFor(async () => (await logsOf(`${projectName}-client-1`)).includes('hello from web'), 15_000, 'client to reach web by its service name');
    const web = (await engine.containers(projectName, { services: ['web'] }))[0]!;
    expect(web.labels).toMatchObject({
      [COMPOSE_LABEL.project]: projectName,
      [COMPOSE_LABEL.service]: 'web',
      [COMPOSE_LABEL.number]: '1',
      [COMPOSE_LABEL.oneoff]: 'False',
    });
    expect((await engine.projects()).find((p) => p.name === projectName)).toMatchObject({ status: 'running(2)', containers: 2 });
  }, 90_000);

  it('is idempotent, recreates only a changed service, and scales replicas up and down', async () => {
    const before = await ids();
    const again = await up(stack());
    expect(again.filter((e) => e.kind === 'Container').map((e) => e.status)).toEqual(['Running', 'Running']);
    expect(await ids()).toEqual(before);

    const changed = await up(stack({ client: { environment: { MODE: 'changed' } } }));
    expect(changed.filter((e) => e.status === 'Recreate').map((e) => e.name)).toEqual([`${projectName}-client-1`]);
    const after = await ids();
    expect(after[`${projectName}-web-1`]).toBe(before[`${projectName}-web-1`]);
    expect(after[`${projectName}-client-1`]).not.toBe(before[`${projectName}-client-1`]);

    await up(stack({ client: { environment: { MODE: 'changed' }, replicas: 2 } }));
    expect(Object.keys(await ids()).sort()).toEqual([`${projectName}-client-1`, `${projectName}-client-2`, `${projectName}-web-1`]);
    await up(stack({ client: { environment: { MODE: 'changed' } } }));
    expect(Object.keys(await ids()).sort()).toEqual([`${projectName}-client-1`, `${projectName}-web-1`]);

    // a stopped service is started again by up, not recreated
    await engine.stop(projectName, ['client']);
    const restarted = await up(stack({ client: { environment: { MODE: 'changed' } } }));
    expect(restarted.filter((e) => e.name === `${projectName}-client-1`).map((e) => e.status)).toEqual(['Starting', 'Started']);
  }, 120_000);

  it('depends_on service_completed_successfully waits for a one-shot service, and fails up when it fails', async () => {
    const init = (code: number) => service('init', { command: ['sh', '-c', `sleep 1; echo init-ran; exit ${code}`], networks: {}, networkMode: 'none' });
    const p = stack({
      extra: { init: init(0) },
      client: {
        environment: { MODE: 'changed' },
        dependsOn: {
          web: { condition: 'service_started', required: true, restart: true },
          init: { condition: 'service_completed_successfully', required: true, restart: true },
        },
      },
    });
    const events = await up(p);
    const lines = events.map((e) => `${e.name} ${e.status}`);
    expect(lines.indexOf(`${projectName}-init-1 Exited`)).toBeGreaterThan(-1);
    expect(lines.indexOf(`${projectName}-init-1 Exited`)).toBeLessThan(lines.indexOf(`${projectName}-client-1 Recreate`));

    const failing = stack({
      extra: { init: init(3) },
      client: { environment: { MODE: 'again' }, dependsOn: { init: { condition: 'service_completed_successfully', required: true, restart: true } } },
    });
    await expect(engine.up(failing)).rejects.toThrow(/service "init" didn't complete successfully: exit 3/);
    // a healthcheck condition on a service without one is refused with Compose's message
    const noHealth = stack({ client: { dependsOn: { web: { condition: 'service_healthy', required: true, restart: true } } } });
    await expect(engine.up(noHealth, { services: ['client'] })).rejects.toThrow(/container .*web-1 has no healthcheck configured/);
    await engine.down(projectName, {});
    await up(stack());
  }, 120_000);

  it('reports a taken port clearly and leaves the created container for inspection; orphans are reported and removed on request', async () => {
    const extra = service('extra', { command: ['sleep', '300'] });
    await up(stack({ extra: { extra } }));
    const warned = await up(stack());
    expect(warned.find((e) => e.kind === 'Warning')?.status).toMatch(/orphan containers .*extra-1/);
    await up(stack(), { removeOrphans: true });
    expect(Object.keys(await ids())).not.toContain(`${projectName}-extra-1`);

    const clash = service('clash', { command: ['sleep', '300'], ports: [{ target: 80, published: String(port), hostIp: '127.0.0.1', protocol: 'tcp' }] });
    await expect(engine.up(stack({ extra: { clash } }))).rejects.toThrow(/port|address|in use|allocated/i);
    await engine.up(stack(), { removeOrphans: true });
  }, 120_000);

  it('down -v removes containers, the network and the volume, and leaves nothing labelled', async () => {
    const events: ComposeEvent[] = [];
    await engine.down(projectName, { volumes: true, onEvent: (e) => events.push(e) });
    expect(events.map((e) => `${e.kind} ${e.status}`)).toEqual(expect.arrayContaining(['Network Removed', 'Volume Removed', 'Container Removed']));
    expect(await engine.containers(projectName)).toEqual([]);
    expect(t.rt.networks.list().filter((n) => n.labels[COMPOSE_LABEL.project] === projectName)).toEqual([]);
    expect(await t.rt.volumes.list({ label: [`${COMPOSE_LABEL.project}=${projectName}`] })).toEqual([]);
    expect(await engine.projects()).toEqual([]);
  }, 60_000);
});
