import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProject, readEnvFile } from '@skiff/compose';
import { builtinCatalogue, checkTemplate, envLines, parseCatalogue, renderTemplate, type Template } from '../src/index.js';

/** the project Compose would deploy from a rendered template and its .env */
async function load(t: Template, values: Record<string, unknown> = {}) {
  const r = renderTemplate(t, values);
  const env = readEnvFile(envLines(r.secrets));
  const project = await loadProject({ files: [{ path: '/tmp/tpl-test/compose.yaml', content: r.compose }], projectName: 'tpl', env });
  return { r, project };
}

const probe = (extra: object[] = [], body = '') =>
  checkTemplate({
    id: 'probe',
    name: 'Probe',
    parameters: [{ name: 'TEXT', type: 'string', default: 'x' }, { name: 'PASS', type: 'password', generate: { length: 16 } }, ...extra],
    compose:
      body ||
      `services:
  app:
    image: busybox
    command: ["echo", "\${TEXT}"]
    environment:
      TEXT: \${TEXT}
      PASS: \${PASS}
      MIXED: "a-\${TEXT}-b"
    labels:
      note: "\${TEXT}"
`,
  });

describe('built-in catalogue', () => {
  it('every template renders with its defaults into a project Compose loads; secrets stay out of the file', async () => {
    const cat = builtinCatalogue();
    expect(cat.templates.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'postgres',
        'mariadb',
        'mysql',
        'redis',
        'mongodb',
        'nginx-static',
        'wordpress',
        'gitea',
        'uptime-kuma',
        'grafana',
        'minio',
        'adminer',
      ]),
    );
    for (const t of cat.templates) {
      const { r, project } = await load(t);
      expect(project.warnings ?? [], t.id).toEqual([]);
      expect(Object.keys(project.services).length, t.id).toBeGreaterThan(0);
      expect(t.logo, t.id).toMatch(/^<svg /);
      for (const [k, v] of Object.entries(r.secrets)) {
        expect(v, `${t.id} ${k}`).toMatch(/^[A-Za-z0-9]{24,}$/);
        expect(r.compose, `${t.id} ${k}`).not.toContain(v);
        expect(r.compose).toContain(`\${${k}}`);
      }
    }
  });

  it('PostgreSQL: the password reaches the environment, the port is published on 127.0.0.1; passwords differ per render', async () => {
    const pg = builtinCatalogue().templates.find((t) => t.id === 'postgres')!;
    const { r, project } = await load(pg, { PORT: '15432', POSTGRES_DB: 'shop' });
    const db = project.services.db!;
    expect(db.image).toBe('postgres:17-alpine');
    expect(db.environment).toMatchObject({ POSTGRES_DB: 'shop', POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: r.secrets.POSTGRES_PASSWORD });
    expect(db.ports).toEqual([{ target: 5432, published: '15432', hostIp: '127.0.0.1', protocol: 'tcp' }]);
    expect(r.generated).toEqual(['POSTGRES_PASSWORD']);
    const again = renderTemplate(pg, {});
    expect(again.secrets.POSTGRES_PASSWORD).not.toBe(r.secrets.POSTGRES_PASSWORD);
    // a kept secret is reused (a re-deploy must not change a database's password)
    expect(renderTemplate(pg, {}, { existingSecrets: r.secrets }).secrets.POSTGRES_PASSWORD).toBe(r.secrets.POSTGRES_PASSWORD);
  });

  it('values are checked: ports, selects, patterns, unknown names', () => {
    const pg = builtinCatalogue().templates.find((t) => t.id === 'postgres')!;
    expect(() => renderTemplate(pg, { PORT: '70000' })).toThrow('template "postgres": values.PORT: 70000 is not a port (1-65535)');
    expect(() => renderTemplate(pg, { PORT: 'abc' })).toThrow(/values\.PORT: "abc" is not a number/);
    expect(() => renderTemplate(pg, { VERSION: '9' })).toThrow(/values\.VERSION: "9" is not one of "17", "16", "15"/);
    expect(() => renderTemplate(pg, { POSTGRES_USER: 'a b' })).toThrow(/values\.POSTGRES_USER: does not match the pattern/);
    expect(() => renderTemplate(pg, { NOPE: '1' })).toThrow('template "postgres": values.NOPE: unknown parameter "NOPE"');
    expect(() => renderTemplate(pg, { POSTGRES_DB: '' })).not.toThrow();
  });
});

/** strings meant to break out of a YAML scalar, a compose interpolation or a .env line */
const NASTY = [
  'x\nservices:\n  evil:\n    image: evil',
  'x"\n  evil: 1\n"',
  "x'\n  evil: 1",
  '${PASS}',
  '$PASS',
  '$${PASS}',
  '- a\n- b',
  '{evil: 1}',
  '&a x',
  '*a',
  '!!python/object x',
  '--- \nservices: {}',
  '# comment',
  'a: b',
  '"',
  '\\',
  '\\"\\n',
  '\r\nKEY=1',
  'x\u2028y\u0085z\t',
  '\n \n\t>\r{',
  '%TAG ! tag:x',
  '\u{1F600}',
];

function randomString(): string {
  const alphabet = '${}"\'\\\n\r\t:#-&*!|>%@` abcXYZ_=';
  let s = '';
  const bytes = randomBytes(40);
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

describe('injection', () => {
  it('a string value cannot add keys, services or read a secret: it arrives byte for byte (300 values)', async () => {
    const t = probe();
    const values = [...NASTY, ...Array.from({ length: 280 }, randomString)];
    for (const v of values) {
      const { r, project } = await load(t, { TEXT: v });
      const doc = parse(r.compose) as { services: Record<string, Record<string, unknown>> };
      expect(Object.keys(doc), JSON.stringify(v)).toEqual(['services']);
      expect(Object.keys(doc.services), JSON.stringify(v)).toEqual(['app']);
      expect(Object.keys(project.services)).toEqual(['app']);
      const app = project.services.app!;
      expect(app.environment.TEXT, JSON.stringify(v)).toBe(v);
      expect(app.environment.MIXED).toBe(`a-${v}-b`);
      expect(app.labels.note).toBe(v);
      expect(app.command).toEqual(['echo', v]);
      expect(app.environment.PASS).toBe(r.secrets.PASS);
      expect(Object.keys(app.environment).sort()).toEqual(['MIXED', 'PASS', 'TEXT']);
    }
  });

  it('a given password with quotes, newlines and "$" is read back exactly from the .env (300 values)', async () => {
    const t = probe();
    for (const v of [...NASTY, ...Array.from({ length: 280 }, randomString)]) {
      const { r, project } = await load(t, { PASS: v });
      expect(r.secrets.PASS).toBe(v);
      // the compose file does not depend on the password at all
      expect(r.compose).toBe(renderTemplate(t, { PASS: 'other' }).compose);
      const env = readEnvFile(envLines(r.secrets));
      expect(Object.keys(env)).toEqual(['PASS']);
      expect(project.services.app!.environment.PASS, JSON.stringify(v)).toBe(v);
    }
  });

  it('typed values keep their type; a number parameter cannot carry text', async () => {
    const t = probe(
      [
        { name: 'N', type: 'number', default: 2, min: 1, max: 5 },
        { name: 'FLAG', type: 'boolean', default: false },
      ],
      'services:\n  app:\n    image: busybox\n    scale: ${N}\n    tty: ${FLAG}\n    environment:\n      TEXT: ${TEXT}\n      PASS: ${PASS}\n',
    );
    const { project } = await load(t, { N: '3', FLAG: 'true' });
    expect(project.services.app).toMatchObject({ replicas: 3, tty: true });
    expect(() => renderTemplate(t, { N: '3\nservices: {}' })).toThrow(/values\.N: .* is not a number/);
    expect(() => renderTemplate(t, { N: 9 })).toThrow(/above the maximum 5/);
    expect(() => renderTemplate(t, { FLAG: 'maybe' })).toThrow(/values\.FLAG: "maybe" is not a boolean/);
    expect(() => renderTemplate(t, { TEXT: 'a\0b' })).toThrow(/NUL/);
  });
});

describe('catalogue format', () => {
  const doc = (templates: unknown[]) => JSON.stringify({ version: 1, name: 'mine', templates });
  const ok = { id: 'one', name: 'One', compose: 'services:\n  a:\n    image: busybox\n' };

  it('parses YAML and JSON; errors name the template and the field', () => {
    expect(parseCatalogue(doc([ok])).catalogue.templates[0]).toMatchObject({ id: 'one', parameters: [], categories: [] });
    expect(
      parseCatalogue(`version: 1\ntemplates:\n  - id: two\n    name: Two\n    compose: |\n      services:\n        a: {image: x}\n`).catalogue.templates[0]!.id,
    ).toBe('two');
    expect(() => parseCatalogue('version: 7\ntemplates: []')).toThrow(/version/);
    expect(() => parseCatalogue(doc([{ ...ok, compose: 'services:\n  a:\n    image: ${IMG}\n' }]))).toThrow(
      'template "one": compose: references ${IMG}, which is not a parameter',
    );
    expect(() => parseCatalogue(doc([{ ...ok, parameters: [{ name: 'P', type: 'port', default: 99999 }] }]))).toThrow(
      'template "one": parameters[0].default: 99999 is not a port (1-65535)',
    );
    expect(() => parseCatalogue(doc([{ ...ok, parameters: [{ name: 'bad-name' }] }]))).toThrow(/template "one": parameters\[0\]\.name: a parameter name/);
    expect(() => parseCatalogue(doc([{ ...ok, parameters: [{ name: 'S', type: 'select' }] }]))).toThrow(
      /parameters\[0\]\.options: a select parameter needs options/,
    );
    expect(() => parseCatalogue(doc([{ ...ok, parameters: [{ name: 'P', pattern: '(' }] }]))).toThrow(
      /parameters\[0\]\.pattern: not a valid regular expression/,
    );
    expect(() => parseCatalogue(doc([{ ...ok, compose: 'image: x' }]))).toThrow(
      /template "one": compose: a compose body is a mapping with a "services" mapping/,
    );
    expect(() => parseCatalogue(doc([{ ...ok, compose: 'services:\n  a:\n    image: ${X:-y}\n' }]))).toThrow(/template "one": compose: .*only \$\{NAME\}/);
    expect(() => parseCatalogue(doc([ok, ok]))).toThrow('template "one": id: a template id appears twice in the catalogue');
    expect(() => parseCatalogue(doc([{ ...ok, logo: 'https://example.com/x.png' }]))).toThrow(/template "one": logo: a logo is an inline SVG/);
    expect(() => parseCatalogue(doc([{ name: 'no id', compose: 'services: {}' }]))).toThrow(/template "#1": id:/);
    expect(() => parseCatalogue('a: [')).toThrow(/not valid YAML or JSON/);
  });

  it('a YAML alias bomb is refused', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n');
    expect(() => parseCatalogue(bomb)).toThrow(/alias|not valid/i);
  });
});

describe('Portainer app templates', () => {
  const portainer = {
    version: '3',
    templates: [
      {
        id: 1,
        type: 1,
        title: 'Registry UI',
        description: 'a container',
        categories: ['tools'],
        logo: 'https://example.com/logo.png',
        image: 'joxit/docker-registry-ui:main',
        ports: ['8080:80/tcp'],
        volumes: [{ container: '/data' }],
        env: [
          { name: 'REGISTRY_TITLE', label: 'Title', default: 'My $registry' },
          { name: 'DB_PASSWORD', label: 'Password' },
          { name: 'FIXED', default: 'v$1', preset: true },
          {
            name: 'MODE',
            label: 'Mode',
            select: [
              { text: 'A', value: 'a' },
              { text: 'B', value: 'b', default: true },
            ],
          },
        ],
        note: '<b>Bold</b> note',
        restart_policy: 'always',
      },
      { id: 2, type: 3, title: 'Stack', description: 'from git', repository: { url: 'https://github.com/x/y', stackfile: 'a.yml' } },
      { id: 3, type: 1, title: 'Root', description: 'privileged', image: 'x', privileged: true },
    ],
  };

  it('imports container templates as parameterised compose; stacks from git are left out with a warning', async () => {
    const { catalogue, warnings } = parseCatalogue(JSON.stringify(portainer));
    expect(catalogue.templates.map((t) => t.id)).toEqual(['registry-ui']);
    expect(warnings).toEqual([expect.stringMatching(/#2 "Stack": left out: type 3/), expect.stringMatching(/#3 "Root": left out: privileged/)]);
    const t = catalogue.templates[0]!;
    expect(t).toMatchObject({ name: 'Registry UI', categories: ['tools'], note: 'Bold note' });
    expect(t.logo).toBeUndefined();
    expect(t.parameters.map((p) => [p.name, p.type])).toEqual([
      ['REGISTRY_TITLE', 'string'],
      ['DB_PASSWORD', 'password'],
      ['MODE', 'select'],
    ]);
    const { r, project } = await load(t);
    const app = project.services.app!;
    expect(app.environment).toEqual({ REGISTRY_TITLE: 'My $registry', DB_PASSWORD: r.secrets.DB_PASSWORD, FIXED: 'v$1', MODE: 'b' });
    expect(app).toMatchObject({ image: 'joxit/docker-registry-ui:main', restart: 'always' });
    expect(app.ports).toEqual([{ target: 80, published: '8080', protocol: 'tcp' }]);
    expect(app.volumes[0]).toMatchObject({ type: 'volume', source: 'data1', target: '/data' });
  });
});
