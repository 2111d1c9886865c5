import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fixtureRegistry, freePort, freeTestSubnet, stopFixtureRegistry } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';
import { startCatalogueServer, testCatalogue, type CatalogueServer } from './templates-fixtures.js';
import { connectWs } from './ws-trpc-client.js';

let agent: AgentHarness;
let registry: string;
let tls: CatalogueServer;
let admin: ReturnType<typeof connectWs>;
let op: ReturnType<typeof connectWs>;
let viewer: ReturnType<typeof connectWs>;
const subnets = Array.from({ length: 4 }, () => freeTestSubnet().subnet);

type Item = {
  stack?: { name: string; secrets: string[]; generated: string[]; updated: boolean };
  event?: { kind: string; name: string; status: string };
  done?: true;
};

/** templates.deploy to its end: the `{ stack }` item and the progress lines */
function deploy(c: ReturnType<typeof connectWs>, input: Parameters<typeof c.client.templates.deploy.subscribe>[0]): Promise<Item[]> {
  return new Promise((resolve, reject) => {
    const items: Item[] = [];
    const sub = c.client.templates.deploy.subscribe(input, {
      onData: (d) => {
        items.push(d as Item);
        if ('done' in d) {
          sub.unsubscribe();
          resolve(items);
        }
      },
      onError: reject,
    });
  });
}

async function httpText(url: string, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await (await fetch(url)).text();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** a container's environment variable as its processes see it (busybox has no printenv applet here) */
function envOf(container: string, name: string): string {
  const r = agent.cli(['exec', container, 'sh', '-c', `printf '%s' "$${name}"`]);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** every byte the agent's database keeps on disk (the file and its WAL) */
function databaseBytes(): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && !['containers', 'images', 'layers', 'volumes', 'stacks'].includes(e.name)) walk(join(d, e.name));
      else if (e.isFile() && /\.db(-wal|-journal)?$/.test(e.name)) files.push(join(d, e.name));
    }
  };
  walk(agent.dir);
  expect(files.length).toBeGreaterThan(0);
  return files.map((f) => readFileSync(f).toString('latin1')).join('');
}

beforeAll(async () => {
  tls = await startCatalogueServer();
  registry = (await fixtureRegistry()).host;
  agent = await AgentHarness.create([registry], { env: { NODE_EXTRA_CA_CERTS: tls.caFile } });
  admin = connectWs(agent.port, agent.token('admin'));
  op = connectWs(agent.port, agent.token('operate'));
  viewer = connectWs(agent.port, agent.token('read'));
}, 120_000);

afterAll(async () => {
  for (const c of [admin, op, viewer]) c?.close();
  await agent?.dispose();
  await stopFixtureRegistry();
  tls?.close();
}, 90_000);

describe('catalogues', () => {
  it('viewers list the built-in catalogue and its templates; get returns the deploy form', async () => {
    const cats = await viewer.client.templates.catalogues.query();
    expect(cats[0]).toMatchObject({ id: 'builtin', builtin: true, error: null });
    expect(cats[0]!.templates).toBeGreaterThanOrEqual(12);
    const dbs = await viewer.client.templates.list.query({ search: 'database' });
    expect(dbs.map((t) => t.id)).toEqual(expect.arrayContaining(['postgres', 'mariadb', 'redis']));
    expect(dbs.every((t) => t.logo?.startsWith('<svg'))).toBe(true);
    const pg = await viewer.client.templates.get.query({ id: 'postgres' });
    expect(pg.parameters.find((p) => p.name === 'POSTGRES_PASSWORD')).toMatchObject({ type: 'password', generate: { length: 32 } });
    await expect(viewer.client.templates.get.query({ id: 'nope' })).rejects.toThrow(/no template "nope" in catalogue "builtin"/);
  });

  it('only an admin adds a catalogue: operators are refused for every source, loopback and metadata included', async () => {
    tls.routes.set('/test.yaml', { body: testCatalogue(registry, subnets) });
    const olga = agent.cli(['user', 'create', '--role', 'operator', '--password', 'operator-pass-1', 'olga']);
    expect(olga.code).toBe(0);
    const operatorUser = connectWs(agent.port, agent.token('operate', 'olga'));
    const sources = [
      { url: `${tls.url}/test.yaml` },
      { url: 'https://127.0.0.1/' },
      { url: 'https://169.254.169.254/latest/meta-data/' },
      { url: 'http://[fd00:ec2::254]/' },
      { content: testCatalogue(registry, subnets) },
    ];
    for (let round = 0; round < 5; round++)
      for (const c of [op, operatorUser, viewer])
        for (const s of sources) await expect(c.client.templates.addCatalogue.mutate({ name: 'evil', ...s })).rejects.toThrow(/needs the admin role/);
    operatorUser.close();
    expect((await admin.client.templates.catalogues.query()).map((c) => c.id)).toEqual(['builtin']);
  });

  it('an admin adds one from an https URL; bad URLs, types, sizes and redirects are refused', async () => {
    tls.routes.set('/page.html', { type: 'text/html', body: '<html></html>' });
    tls.routes.set('/big.json', { type: 'application/json', body: Buffer.alloc(5 * 1024 * 1024, 32) });
    tls.routes.set('/to-http', { location: 'http://127.0.0.1:1/x' });
    tls.routes.set('/to-metadata', { location: 'https://169.254.169.254/latest/meta-data/' });
    tls.routes.set('/bad.yaml', { body: 'version: 1\ntemplates:\n  - id: broken\n    name: B\n    compose: "services:\\n  a:\\n    image: ${NOPE}\\n"\n' });
    const add = (url: string) => admin.client.templates.addCatalogue.mutate({ name: 'remote', url });
    await expect(add('http://127.0.0.1/x')).rejects.toThrow(/must be https/);
    await expect(add('https://169.254.169.254/latest/meta-data/')).rejects.toThrow(/link-local and unspecified addresses are never fetched/);
    await expect(add('https://[fe80::1]/')).rejects.toThrow(/never fetched/);
    await expect(add('https://0.0.0.0/')).rejects.toThrow(/never fetched/);
    await expect(add('https://user:pw@127.0.0.1/')).rejects.toThrow(/credentials/);
    await expect(add(`${tls.url}/page.html`)).rejects.toThrow(/content type "text\/html" is not JSON or YAML/);
    await expect(add(`${tls.url}/big.json`)).rejects.toThrow(/larger than 4194304 bytes/);
    await expect(add(`${tls.url}/to-http`)).rejects.toThrow(/must be https/);
    await expect(add(`${tls.url}/to-metadata`)).rejects.toThrow(/never fetched/);
    await expect(add(`${tls.url}/missing`)).rejects.toThrow(/HTTP 404/);
    await expect(add(`${tls.url}/bad.yaml`)).rejects.toThrow('template "broken": compose: references ${NOPE}, which is not a parameter');
    await expect(admin.client.templates.addCatalogue.mutate({ name: 'builtin', content: 'version: 1\ntemplates: []' })).rejects.toThrow(/built-in/);

    expect(await add(`${tls.url}/test.yaml`)).toMatchObject({ name: 'remote', title: 'Test catalogue', templates: 3, warnings: [] });
    await expect(add(`${tls.url}/test.yaml`)).rejects.toThrow(/already exists/);
    const cats = await viewer.client.templates.catalogues.query();
    expect(cats.find((c) => c.id === 'remote')).toMatchObject({ url: `${tls.url}/test.yaml`, templates: 3, addedBy: 'admin' });
    expect((await viewer.client.templates.list.query({ catalogue: 'remote' })).map((t) => t.id)).toEqual(['site', 'keeper', 'hostbind']);
  });

  it('a Portainer v2 document uploaded by an admin is imported; remove drops it', async () => {
    const doc = {
      version: '2',
      templates: [
        { type: 1, title: 'Busy', description: 'x', image: `${registry}/skiff-test/busybox:latest`, env: [{ name: 'A', label: 'A', default: '1' }] },
        { type: 3, title: 'Git stack', description: 'y', repository: { url: 'https://example.com/r', stackfile: 'a.yml' } },
      ],
    };
    const r = await admin.client.templates.addCatalogue.mutate({ name: 'portainer', content: JSON.stringify(doc) });
    expect(r).toMatchObject({ templates: 1, warnings: [expect.stringMatching(/Git stack.*left out/)] });
    expect((await viewer.client.templates.get.query({ catalogue: 'portainer', id: 'busy' })).parameters[0]).toMatchObject({ name: 'A', default: '1' });
    await admin.client.templates.removeCatalogue.mutate({ name: 'portainer' });
    await expect(viewer.client.templates.list.query({ catalogue: 'portainer' })).rejects.toThrow(/no template catalogue named "portainer"/);
  });
});

describe('deploy', () => {
  let sitePort: number;
  beforeAll(async () => {
    sitePort = await freePort();
  });
  afterAll(async () => {
    for (const name of ['tplsite', 'tplkeep', 'tplinject']) await op?.client.stacks.remove.mutate({ name, volumes: true }).catch(() => undefined);
  });

  it('a static site on skiff-test/web: deployed as a stack, served on its port', async () => {
    await expect(deploy(viewer, { catalogue: 'remote', id: 'site', name: 'tplsite', values: { PORT: sitePort } })).rejects.toThrow(/operator/);
    const items = await deploy(op, {
      catalogue: 'remote',
      id: 'site',
      name: 'tplsite',
      values: { PORT: sitePort, TITLE: 'Hello from a template', SUBNET: subnets[0]! },
    });
    expect(items[0]).toEqual({
      stack: { name: 'tplsite', catalogue: 'remote', template: 'site', secrets: [], generated: [], values: expect.any(Object), updated: false },
    });
    expect(items.map((i) => i.event && `${i.event.kind} ${i.event.name} ${i.event.status}`)).toContain('Container tplsite-web-1 Started');
    expect(await httpText(`http://127.0.0.1:${sitePort}/`)).toBe('Hello from a template');
    const { stack } = await viewer.client.stacks.get.query({ name: 'tplsite' });
    expect(parse(stack!.composeFile).services.web.ports).toEqual([`127.0.0.1:${sitePort}:80`]);
    expect((await viewer.client.stacks.list.query()).find((s) => s.name === 'tplsite')).toMatchObject({ state: 'running', containers: 1 });
  });

  it('the same name is refused; update re-renders it from its template (and only its template)', async () => {
    await expect(deploy(op, { catalogue: 'remote', id: 'site', name: 'tplsite', values: { PORT: sitePort } })).rejects.toThrow(
      /a stack named "tplsite" already exists/,
    );
    await expect(deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplsite', update: true })).rejects.toThrow(/was not deployed from template "keeper"/);
    await expect(deploy(op, { catalogue: 'remote', id: 'site', name: 'tplnone', update: true, values: { PORT: sitePort } })).rejects.toThrow(
      /no stack named "tplnone"/,
    );
    const items = await deploy(op, {
      catalogue: 'remote',
      id: 'site',
      name: 'tplsite',
      update: true,
      values: { PORT: sitePort, TITLE: 'Updated', SUBNET: subnets[0]! },
    });
    expect(items[0]!.stack).toMatchObject({ updated: true });
    expect(await httpText(`http://127.0.0.1:${sitePort}/`)).toBe('Updated');
  });

  it('a generated password is sealed: never in the stored compose/.env, the database file, stacks.get or the deploy result', async () => {
    const items = await deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplkeep', values: { SUBNET: subnets[1]! } });
    expect(items[0]!.stack).toMatchObject({ secrets: ['PASS'], generated: ['PASS'] });
    await expect(viewer.client.templates.revealSecrets.query({ name: 'tplkeep' })).rejects.toThrow(/operator/);
    const [{ key, value: pass }] = (await op.client.templates.revealSecrets.query({ name: 'tplkeep' })) as [{ key: string; value: string }];
    expect(key).toBe('PASS');
    expect(pass).toMatch(/^[A-Za-z0-9]{40}$/);
    // the container got it, through the .env written for the deploy
    expect(envOf('tplkeep-app-1', 'PASS')).toBe(pass);
    const env = readFileSync(join(agent.root, 'stacks', 'tplkeep', '.env'), 'utf8');
    expect(env).toContain(`PASS="${pass}"`);
    // … and nowhere a viewer or a copied database would find it
    for (let i = 0; i < 3; i++) {
      const got = await viewer.client.stacks.get.query({ name: 'tplkeep' });
      expect(JSON.stringify(got)).not.toContain(pass);
      expect(got.secrets).toEqual(['PASS']);
      expect(got.stack!.composeFile).toContain('${PASS}');
      const v = await viewer.client.stacks.validate.query({ name: 'tplkeep', composeFile: got.stack!.composeFile, envFile: got.stack!.envFile });
      expect(JSON.stringify(v)).not.toContain(pass);
    }
    expect(JSON.stringify(items)).not.toContain(pass);
    expect(databaseBytes()).not.toContain(pass);
    // the audit log names the reveal
    const audit = await admin.client.audit.list.query({});
    expect(JSON.stringify(audit)).toContain('templates.revealSecrets');

    // an update keeps it; the plain stack deploy path writes it too
    // (the subnet is the last deploy's: an update starts from the values it was deployed with)
    await deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplkeep', update: true, values: { NOTE: 'changed' } });
    expect((await op.client.templates.revealSecrets.query({ name: 'tplkeep' }))[0]!.value).toBe(pass);
    await new Promise<void>((resolve, reject) => {
      const sub = op.client.stacks.deploy.subscribe(
        { name: 'tplkeep', forceRecreate: true },
        {
          onData: (d) => {
            if (!('done' in d)) return;
            sub.unsubscribe();
            resolve();
          },
          onError: reject,
        },
      );
    });
    expect([envOf('tplkeep-app-1', 'PASS'), envOf('tplkeep-app-1', 'NOTE')]).toEqual([pass, 'changed']);
  });

  it('injection: a value cannot add a service, a key, or read the secret (values arrive verbatim)', async () => {
    const evil = 'x"\n  evil:\n    image: busybox\n    privileged: true\n${PASS} $PASS $$PASS';
    await deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplinject', values: { NOTE: evil, SUBNET: subnets[2]! } });
    const { stack } = await viewer.client.stacks.get.query({ name: 'tplinject' });
    const doc = parse(stack!.composeFile);
    expect(Object.keys(doc.services)).toEqual(['app']);
    expect(Object.keys(doc.services.app).sort()).toEqual(['command', 'environment', 'image', 'stop_grace_period']);
    expect(envOf('tplinject-app-1', 'NOTE')).toBe(evil);
    // a given password with quotes, newlines and `$` reaches the container exactly too
    const pw = 'p"w\'\nNOTE=hijack\n$NOTE ${NOTE} \\';
    await deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplinject', update: true, values: { PASS: pw, NOTE: 'n', SUBNET: subnets[2]! } });
    expect(envOf('tplinject-app-1', 'PASS')).toBe(pw);
    expect(envOf('tplinject-app-1', 'NOTE')).toBe('n');
  });

  it('refusals happen before anything is stored: bad values, host binds for an operator, a name taken by a CLI project', async () => {
    await expect(deploy(op, { catalogue: 'remote', id: 'site', name: 'tplbad', values: { PORT: 'eighty' } })).rejects.toThrow(
      'template "site": values.PORT: "eighty" is not a number',
    );
    await expect(deploy(op, { catalogue: 'remote', id: 'site', name: 'tplbad', values: { NOPE: 1, PORT: 1 } })).rejects.toThrow(/unknown parameter "NOPE"/);
    await expect(deploy(op, { catalogue: 'remote', id: 'hostbind', name: 'tplbad' })).rejects.toThrow(/gives access to the host and needs the admin role/);
    await expect(viewer.client.stacks.get.query({ name: 'tplbad' })).rejects.toThrow(/no stack named/);
    expect(
      agent.cli(['run', '-d', '--name', 'tplcli-x-1', '--label', 'com.docker.compose.project=tplcli', `${registry}/skiff-test/busybox:latest`, 'sleep', '60'])
        .code,
    ).toBe(0);
    await expect(deploy(op, { catalogue: 'remote', id: 'keeper', name: 'tplcli', values: { SUBNET: subnets[3]! } })).rejects.toThrow(/already has containers/);
    agent.cli(['rm', '-f', 'tplcli-x-1']);
  });

  it('the CLI: template ls, show, deploy --set, secrets; removing the stack drops its secrets', async () => {
    const ls = agent.cli(['template', 'ls', '--catalogue', 'remote']);
    expect(ls.stdout).toMatch(/^ID\s+NAME\s+CATALOGUE\s+CATEGORIES\s+DESCRIPTION\nsite\s+Static site\s+remote\s+web/);
    expect(agent.cli(['template', 'show', 'postgres']).stdout).toMatch(/POSTGRES_PASSWORD\s+password\s+\(generated, 32 chars\)/);
    await op.client.stacks.remove.mutate({ name: 'tplkeep', volumes: true });
    expect(await op.client.templates.revealSecrets.query({ name: 'tplkeep' })).toEqual([]);
    const r = agent.cli([
      'template',
      'deploy',
      'keeper',
      '--catalogue',
      'remote',
      '--name',
      'tplkeep',
      '--set',
      'NOTE=from cli',
      '--set',
      `SUBNET=${subnets[1]}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain("Created stack tplkeep\nGenerated secrets (sealed): PASS; see 'skiff template secrets tplkeep'\n");
    expect(r.stdout).toMatch(/Container tplkeep-app-1 {2}Started/);
    const secrets = agent.cli(['template', 'secrets', 'tplkeep']).stdout;
    expect(secrets).toMatch(/^PASS=[A-Za-z0-9]{40}\n$/);
    expect(envOf('tplkeep-app-1', 'NOTE')).toBe('from cli');
    expect(agent.cli(['template', 'deploy', 'site', '--catalogue', 'remote', '--name', 'x', '--set', 'PORT']).stderr).toMatch(/invalid --set "PORT"/);
  });
});
