import { describe, expect, it } from 'vitest';
import { ComposeError, loadProject } from '../src/index.js';
import { load, loadError } from './helpers.js';

describe('located errors', () => {
  it('malformed YAML', async () => {
    const msg = await loadError('services:\n  web:\n    image: nginx\n   ports: [80\n');
    expect(msg).toMatch(/^docker-compose\.yml:\d+:\d+: invalid YAML: /);
  });

  it('duplicate keys', async () => {
    expect(await loadError('services:\n  web:\n    image: a\n    image: b\n')).toBe('docker-compose.yml:4:5: invalid YAML: Map keys must be unique');
  });

  it('is a ComposeError (an InvalidArgument) with the position as fields', async () => {
    const err = await load('services:\n  web:\n    imagee: nginx\n').catch((e) => e);
    expect(err).toBeInstanceOf(ComposeError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.loc).toEqual({ file: 'docker-compose.yml', line: 3, col: 5 });
    expect(err.path).toBe('services.web');
  });

  it('unknown key names the key, with a suggestion', async () => {
    expect(await loadError('services:\n  web:\n    imagee: nginx\n')).toBe(
      'docker-compose.yml:3:5: services.web: unknown key "imagee" (did you mean "image"?); extensions must start with "x-"',
    );
  });

  it('unknown top-level key', async () => {
    expect(await loadError('servicess:\n  web:\n    image: nginx\n')).toMatch(
      /^docker-compose\.yml:1:1: unknown key "servicess" \(did you mean "services"\?\)/,
    );
  });

  it('unknown key deep inside', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    healthcheck:\n      test: true\n      intervall: 5s\n')).toMatch(
      /^docker-compose\.yml:6:7: services\.web\.healthcheck: unknown key "intervall"/,
    );
  });

  it('x- extension keys are allowed at the top level and in services', async () => {
    const p = await load('x-common: &c\n  image: nginx\nservices:\n  web:\n    <<: *c\n    x-note: hi\n');
    expect(p.services.web!.image).toBe('nginx');
  });

  it('bad port', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    ports:\n      - "8080:80"\n      - "80:80:80:80"\n')).toMatch(
      /^docker-compose\.yml:6:9: services\.web\.ports\[1\]: invalid port "80:80:80:80"/,
    );
    expect(await loadError('services:\n  web:\n    image: nginx\n    ports: ["70000"]\n')).toBe(
      'docker-compose.yml:4:13: services.web.ports[0]: invalid port "70000"',
    );
  });

  it('wrong type names the accepted types', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    command: {a: 1}\n')).toBe(
      'docker-compose.yml:4:14: services.web.command: must be string or list, not mapping',
    );
  });

  it('a list item given twice points at the second one', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    ports: ["80", "80"]\n')).toBe(
      'docker-compose.yml:4:19: services.web.ports[1]: "80" is listed twice',
    );
  });

  it('a value of the wrong type inside a mapping', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    environment: {A: [1]}\n')).toBe(
      'docker-compose.yml:4:22: services.web.environment.A: must be string, number, boolean or null, not list',
    );
  });

  it('bad enum value', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    depends_on:\n      db: {condition: started}\n  db:\n    image: x\n')).toMatch(
      /^docker-compose\.yml:5:23: services\.web\.depends_on\.db\.condition: must be one of service_started, service_healthy, service_completed_successfully/,
    );
  });

  it('bad duration', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    stop_grace_period: 10 sec\n')).toMatch(
      /^docker-compose\.yml:4:24: services\.web\.stop_grace_period: invalid duration/,
    );
  });

  it('missing required variable', async () => {
    expect(await loadError('services:\n  web:\n    image: "nginx:${TAG:?TAG must be set}"\n')).toBe(
      'docker-compose.yml:3:12: services.web.image: required variable TAG is missing a value: TAG must be set',
    );
    expect(await loadError('services:\n  web:\n    image: nginx\n    environment:\n      - A=${A?}\n')).toBe(
      'docker-compose.yml:5:9: services.web.environment[0]: required variable A is missing a value',
    );
  });

  it('invalid interpolation', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    command: echo $ 1\n')).toMatch(
      /^docker-compose\.yml:4:14: services\.web\.command: invalid interpolation format/,
    );
  });

  it('unknown depends_on', async () => {
    expect(await loadError('services:\n  web:\n    image: nginx\n    depends_on:\n      - db\n')).toBe(
      'docker-compose.yml:5:9: services.web.depends_on[0]: service "web" depends on undefined service "db"',
    );
    expect(await loadError('services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_started\n')).toBe(
      'docker-compose.yml:5:7: services.web.depends_on.db: service "web" depends on undefined service "db"',
    );
  });

  it('dependency cycle', async () => {
    const msg = await loadError(
      'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n',
    );
    expect(msg).toBe('docker-compose.yml:10:18: services.c.depends_on[0]: dependency cycle detected: a -> b -> c -> a');
    expect(await loadError('services:\n  a:\n    image: x\n    depends_on: [a]\n')).toMatch(/dependency cycle detected: a -> a$/);
  });

  it('undeclared named volume', async () => {
    expect(await loadError('services:\n  db:\n    image: x\n    volumes:\n      - data:/var/lib/data\n')).toMatch(
      /^docker-compose\.yml:5:9: services\.db\.volumes\[0\]: service "db" refers to undefined volume "data"/,
    );
  });

  it('undeclared network', async () => {
    expect(await loadError('services:\n  db:\n    image: x\n    networks: [back]\n')).toBe(
      'docker-compose.yml:4:16: services.db.networks.back: service "db" refers to undefined network "back"',
    );
  });

  it('service without image or build', async () => {
    expect(await loadError('services:\n  db:\n    restart: always\n')).toBe(
      'docker-compose.yml:3:5: services.db: service "db" has neither an image nor a build context',
    );
  });

  it('errors in a second file name that file', async () => {
    const err = await loadProject({
      files: [
        { path: '/srv/notes/compose.yml', content: 'services:\n  web:\n    image: nginx\n' },
        { path: '/srv/notes/compose.override.yml', content: 'services:\n  web:\n    portss: ["80"]\n' },
      ],
      env: {},
    }).catch((e: Error) => e.message);
    expect(err).toMatch(/^compose\.override\.yml:3:5: services\.web: unknown key "portss"/);
  });

  it('a file outside the project directory is shown by its path', async () => {
    const err = await loadProject({
      files: [
        { path: '/srv/notes/compose.yml', content: 'services:\n  web:\n    image: nginx\n' },
        { path: '/etc/other.yml', content: 'services:\n  web:\n    image: [1]\n' },
      ],
      env: {},
    }).catch((e: Error) => e.message);
    expect(err).toBe('/etc/other.yml:3:12: services.web.image: must be string, not list');
  });

  it('top level must be a mapping', async () => {
    expect(await loadError('- a\n- b\n')).toMatch(/^docker-compose\.yml:1:1: a Compose file must be a mapping/);
  });
});
