import { describe, expect, it } from 'vitest';
import { loadProject } from '../src/index.js';
import { load, loadError } from './helpers.js';

describe('project', () => {
  it('name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory (normalised)', async () => {
    const yaml = 'name: From_File\nservices:\n  a:\n    image: x\n';
    expect((await load(yaml, { projectName: 'cli' })).name).toBe('cli');
    expect((await load(yaml, { env: { COMPOSE_PROJECT_NAME: 'envname' } })).name).toBe('envname');
    expect((await load(yaml)).name).toBe('from_file');
    expect((await load('name: ${N}\nservices: {}\n', { env: { N: 'interp' } })).name).toBe('interp');
    const p = await loadProject({ files: [{ path: '/home/me/My Project.v2/compose.yaml', content: 'services: {}\n' }], env: {} });
    expect(p.name).toBe('myprojectv2');
    expect(p.workingDir).toBe('/home/me/My Project.v2');
  });

  it('an explicit project name must already be valid', async () => {
    expect(await loadError('services: {}\n', { projectName: 'My App' })).toMatch(/invalid project name "My App"/);
    expect(await loadError('services: {}\n', { projectName: '_x' })).toMatch(/invalid project name "_x"/);
    await expect(loadProject({ files: [{ path: '/___/compose.yaml', content: 'services: {}\n' }], env: {} })).rejects.toThrow(/project name must not be empty/);
  });

  it('top-level networks and volumes', async () => {
    const p = await load(`services:
  a:
    image: x
    networks: [front, ext]
    volumes: [data:/data, shared:/shared, old:/old]
networks:
  front:
    driver: bridge
    internal: true
    labels: [a=b]
    ipam:
      config:
        - subnet: 10.5.0.0/16
          gateway: 10.5.0.1
  ext:
    external: true
  named:
    name: custom-net
volumes:
  data:
    driver: local
    labels:
      k: v
  shared:
    external: true
    name: the-shared-one
  old:
    external:
      name: legacy-name
`);
    expect(p.networks).toEqual({
      front: { name: 'notes_front', external: false, driver: 'bridge', internal: true, subnet: '10.5.0.0/16', gateway: '10.5.0.1', labels: { a: 'b' } },
      ext: { name: 'ext', external: true, internal: false, labels: {} },
      named: { name: 'custom-net', external: false, internal: false, labels: {} },
    });
    expect(p.volumes).toEqual({
      data: { name: 'notes_data', external: false, driver: 'local', labels: { k: 'v' } },
      shared: { name: 'the-shared-one', external: true, labels: {} },
      old: { name: 'legacy-name', external: true, labels: {} },
    });
  });

  it('the implicit default network exists only when a service uses it, and can be configured', async () => {
    expect(Object.keys((await load('services:\n  a:\n    image: x\n    network_mode: none\n')).networks)).toEqual([]);
    const p = await load('services:\n  a:\n    image: x\nnetworks:\n  default:\n    name: shared-default\n    external: true\n');
    expect(p.networks.default).toEqual({ name: 'shared-default', external: true, internal: false, labels: {} });
    expect(p.services.a!.networks).toEqual({ default: { aliases: [] } });
  });

  it('profiles: services with profiles only when a profile is active', async () => {
    const yaml = `services:
  app:
    image: x
  debug:
    image: x
    profiles: [debug]
  tools:
    image: x
    profiles: [tools, debug]
`;
    expect(Object.keys((await load(yaml)).services)).toEqual(['app']);
    expect(Object.keys((await load(yaml, { profiles: ['debug'] })).services)).toEqual(['app', 'debug', 'tools']);
    expect(Object.keys((await load(yaml, { profiles: ['tools'] })).services)).toEqual(['app', 'tools']);
    expect(Object.keys((await load(yaml, { env: { COMPOSE_PROFILES: 'tools' } })).services)).toEqual(['app', 'tools']);
    expect(Object.keys((await load(yaml, { profiles: ['*'] })).services)).toEqual(['app', 'debug', 'tools']);
    expect((await load(yaml, { profiles: ['tools'] })).services.tools!.profiles).toEqual(['tools', 'debug']);
  });

  it('a dependency on a service whose profile is inactive is an error unless optional', async () => {
    const yaml = (required: boolean) => `services:
  app:
    image: x
    depends_on:
      debug:
        condition: service_started
        required: ${required}
  debug:
    image: x
    profiles: [debug]
`;
    expect(await loadError(yaml(true))).toBe(
      'docker-compose.yml:5:7: services.app.depends_on.debug: service "app" depends on "debug", which is not enabled (profiles: debug); activate one of its profiles',
    );
    expect((await load(yaml(false))).services.app!.dependsOn).toEqual({});
    expect(Object.keys((await load(yaml(true), { profiles: ['debug'] })).services.app!.dependsOn)).toEqual(['debug']);
  });

  it('an empty file is an empty project', async () => {
    const p = await load('');
    expect(p.services).toEqual({});
  });
});
