import { describe, expect, it } from 'vitest';
import { loadProject } from '../src/index.js';

const files = (...contents: string[]) => contents.map((content, i) => ({ path: `/srv/notes/compose${i ? `.${i}` : ''}.yml`, content }));

describe('multiple files (-f a -f b)', () => {
  it('later files override scalars, merge maps and follow Compose list rules', async () => {
    const p = await loadProject({
      files: files(
        `services:
  web:
    image: web:1
    command: npm start
    environment:
      A: a
      B: b
    labels: [x=1]
    ports: ["8080:80"]
    volumes:
      - ./src:/app/src
      - data:/data
    depends_on: [db]
    networks: [front]
    cap_add: [NET_ADMIN]
    dns: 1.1.1.1
    healthcheck:
      test: curl -f localhost
      interval: 10s
  db:
    image: db
volumes:
  data:
networks:
  front:
`,
        `services:
  web:
    image: web:2
    command: ["npm", "run", "dev"]
    environment:
      - B=override
      - C=c
    labels:
      y: "2"
    ports: ["9229:9229", "8080:80"]
    volumes:
      - ./src2:/app/src:ro
      - ./extra:/extra
    depends_on:
      cache:
        condition: service_healthy
    networks:
      back:
        aliases: [web-back]
    cap_add: [SYS_PTRACE]
    dns: [8.8.8.8]
    healthcheck:
      interval: 5s
  cache:
    image: redis
networks:
  back:
    internal: true
`,
      ),
      env: {},
    });
    const web = p.services.web!;
    expect(web.image).toBe('web:2');
    expect(web.command).toEqual(['npm', 'run', 'dev']);
    expect(web.environment).toEqual({ A: 'a', B: 'override', C: 'c' });
    expect(web.labels).toEqual({ x: '1', y: '2' });
    // ports are appended, duplicates dropped
    expect(web.ports.map((x) => `${x.published}:${x.target}`)).toEqual(['8080:80', '9229:9229']);
    // volumes are merged by container path
    expect(web.volumes).toEqual([
      { type: 'bind', source: '/srv/notes/src2', target: '/app/src', readOnly: true, createHostPath: true },
      { type: 'volume', source: 'data', target: '/data', readOnly: false },
      { type: 'bind', source: '/srv/notes/extra', target: '/extra', readOnly: false, createHostPath: true },
    ]);
    expect(web.dependsOn).toEqual({
      db: { condition: 'service_started', required: true, restart: false },
      cache: { condition: 'service_healthy', required: true, restart: false },
    });
    expect(web.networks).toEqual({ front: { aliases: [] }, back: { aliases: ['web-back'] } });
    expect(web.capAdd).toEqual(['NET_ADMIN', 'SYS_PTRACE']);
    expect(web.dns).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(web.healthcheck).toEqual({ test: ['CMD-SHELL', 'curl -f localhost'], interval: 5e9, disable: false });
    expect(Object.keys(p.services)).toEqual(['web', 'db', 'cache']);
    expect(p.networks.back).toEqual({ name: 'notes_back', external: false, internal: true, labels: {} });
    expect(p.networks.front!.name).toBe('notes_front');
  });

  it('an override file may add a service and the project name', async () => {
    const p = await loadProject({ files: files('services:\n  a:\n    image: x\n', 'name: other\nservices:\n  b:\n    image: y\n'), env: {} });
    expect(p.name).toBe('other');
    expect(Object.keys(p.services)).toEqual(['a', 'b']);
  });

  it('build string and object merge', async () => {
    const p = await loadProject({
      files: files('services:\n  a:\n    build: ./app\n', 'services:\n  a:\n    build:\n      dockerfile: Dockerfile.dev\n      args: [X=1]\n'),
      env: {},
    });
    expect(p.services.a!.build).toEqual({ context: '/srv/notes/app', dockerfile: 'Dockerfile.dev', args: { X: '1' } });
  });

  it('errors after merging point at the file the value came from', async () => {
    const err = await loadProject({
      files: files('services:\n  a:\n    image: x\nvolumes:\n  data:\n', 'services:\n  a:\n    volumes:\n      - ./x:/x\n      - cache:/cache\n'),
      env: {},
    }).catch((e: Error) => e.message);
    expect(err).toMatch(/^compose\.1\.yml:5:9: services\.a\.volumes\[1\]: service "a" refers to undefined volume "cache"/);
  });
});

describe('merge tags', () => {
  it('!reset removes what earlier files set, !override replaces it whole', async () => {
    const p = await loadProject({
      files: files(
        'services:\n  web:\n    image: x\n    ports: ["80:80"]\n    environment: {A: "1", B: "2"}\n    dns: [1.1.1.1]\n  debug:\n    image: y\n',
        'services:\n  web:\n    ports: !reset []\n    environment: !override\n      C: "3"\n    dns: !reset null\n  debug: !reset\n',
      ),
      env: {},
    });
    expect(p.services.web!.ports).toEqual([]);
    expect(p.services.web!.environment).toEqual({ C: '3' });
    expect(p.services.web!.dns).toEqual([]);
    expect(Object.keys(p.services)).toEqual(['web']);
  });
});
