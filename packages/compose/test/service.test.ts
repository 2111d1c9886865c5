import { describe, expect, it } from 'vitest';
import { load, loadError, serviceDefaults } from './helpers.js';

const one = async (body: string, top = '', env: Record<string, string> = {}) =>
  (await load(`services:\n  web:\n    image: x\n${body}${top}`, { env })).services.web!;

describe('service normalisation', () => {
  it('defaults', async () => {
    expect(await one('')).toEqual({ name: 'web', image: 'x', ...serviceDefaults() });
  });

  it('environment in list and map form; valueless keys come from the loader env or are left out', async () => {
    const list = await one('    environment:\n      - A=1\n      - B=x=y\n      - C\n      - D\n      - E=\n', '', { C: 'from-env' });
    expect(list.environment).toEqual({ A: '1', B: 'x=y', C: 'from-env', E: '' });
    const map = await one('    environment:\n      A: 1\n      B: true\n      C:\n      D: ""\n', '', { C: 'c' });
    expect(map.environment).toEqual({ A: '1', B: 'true', C: 'c', D: '' });
  });

  it('command and entrypoint: strings split like a shell, lists as they are', async () => {
    const s = await one(`    command: bash -c 'echo "hi there" && exit 1' --x="a b"\n    entrypoint: ["/bin/sh", "-c"]\n`);
    expect(s.command).toEqual(['bash', '-c', 'echo "hi there" && exit 1', '--x=a b']);
    expect(s.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(await loadError('services:\n  web:\n    image: x\n    command: ["npm", 1]\n')).toBe(
      'docker-compose.yml:4:22: services.web.command[1]: must be string, not number 1',
    );
    expect(await loadError('services:\n  web:\n    image: x\n    command: echo "unterminated\n')).toMatch(
      /^docker-compose\.yml:4:14: services\.web\.command: unexpected end of statement/,
    );
  });

  it('build: string and object, context resolved, args list/map', async () => {
    expect((await load('services:\n  web:\n    build: ./app\n')).services.web!.build).toEqual({ context: '/srv/notes/app', args: {} });
    const b = (
      await load('services:\n  web:\n    build:\n      dockerfile: Dockerfile.dev\n      target: dev\n      args:\n        - A=1\n        - B\n        - C\n', {
        env: { B: 'b' },
      })
    ).services.web!.build;
    expect(b).toEqual({ context: '/srv/notes', dockerfile: 'Dockerfile.dev', target: 'dev', args: { A: '1', B: 'b' } });
    expect((await load('services:\n  web:\n    build: https://github.com/x/y.git#main\n')).services.web!.build!.context).toBe(
      'https://github.com/x/y.git#main',
    );
  });

  it('networks in list and map form, with aliases and ipv4_address', async () => {
    const top = 'networks:\n  front:\n  back:\n    ipam:\n      config:\n        - subnet: 172.28.0.0/16\n';
    expect((await one('    networks: [front, back]\n', top)).networks).toEqual({ front: { aliases: [] }, back: { aliases: [] } });
    const s = await one('    networks:\n      front:\n      back:\n        aliases: [api, api2]\n        ipv4_address: 172.28.0.10\n', top);
    expect(s.networks).toEqual({ front: { aliases: [] }, back: { aliases: ['api', 'api2'], ipv4Address: '172.28.0.10' } });
  });

  it('network_mode excludes networks', async () => {
    const s = await one('    network_mode: host\n');
    expect(s.networkMode).toBe('host');
    expect(s.networks).toEqual({});
    expect(await loadError('services:\n  web:\n    image: x\n    network_mode: host\n    networks: [default]\n')).toMatch(
      /sets both network_mode and networks/,
    );
    expect(await loadError('services:\n  web:\n    image: x\n    network_mode: bogus\n')).toMatch(/unsupported network_mode "bogus"/);
  });

  it('network_mode service:X and links imply a dependency', async () => {
    const p = await load('services:\n  a:\n    image: x\n    network_mode: service:b\n    links: ["c:alias"]\n  b:\n    image: x\n  c:\n    image: x\n');
    expect(p.services.a!.dependsOn).toEqual({
      b: { condition: 'service_started', required: true, restart: false },
      c: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('depends_on list and map forms with Compose defaults', async () => {
    const p = await load(`services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    depends_on:
      c:
        condition: service_completed_successfully
      d:
        condition: service_healthy
        required: false
        restart: true
  c:
    image: x
  d:
    image: x
`);
    expect(p.services.a!.dependsOn).toEqual({ b: { condition: 'service_started', required: true, restart: false } });
    expect(p.services.b!.dependsOn).toEqual({
      c: { condition: 'service_completed_successfully', required: true, restart: false },
      d: { condition: 'service_healthy', required: false, restart: true },
    });
  });

  it('restart policies, including deploy.restart_policy', async () => {
    for (const r of ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:3']) expect((await one(`    restart: "${r}"\n`)).restart).toBe(r);
    expect(await loadError('services:\n  web:\n    image: x\n    restart: sometimes\n')).toMatch(
      /^docker-compose\.yml:4:14: services\.web\.restart: invalid restart policy "sometimes"/,
    );
    expect((await one('    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 5\n')).restart).toBe('on-failure:5');
    expect((await one('    deploy:\n      restart_policy:\n        condition: any\n')).restart).toBe('always');
  });

  it('healthcheck: string test, list test, durations, disable', async () => {
    expect(
      (await one('    healthcheck:\n      test: curl -f http://localhost/ || exit 1\n      interval: 1m30s\n      timeout: 500ms\n      start_interval: 1s\n'))
        .healthcheck,
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
      interval: 90e9,
      timeout: 500e6,
      startInterval: 1e9,
      disable: false,
    });
    expect((await one('    healthcheck:\n      test: ["CMD-SHELL", "true"]\n      retries: 3\n')).healthcheck).toEqual({
      test: ['CMD-SHELL', 'true'],
      retries: 3,
      disable: false,
    });
    expect((await one('    healthcheck:\n      disable: true\n')).healthcheck).toEqual({ test: ['NONE'], disable: true });
    expect((await one('    healthcheck:\n      test: ["NONE"]\n')).healthcheck).toEqual({ test: ['NONE'], disable: true });
    expect(await loadError('services:\n  web:\n    image: x\n    healthcheck:\n      test: ["curl", "x"]\n')).toMatch(/must start with CMD, CMD-SHELL or NONE/);
    expect(await loadError('services:\n  web:\n    image: x\n    healthcheck:\n      test: "true"\n      disable: true\n')).toBe(
      'docker-compose.yml:6:16: services.web.healthcheck.disable: a healthcheck cannot set both disable: true and a test',
    );
  });

  it('labels list and map; simple scalars', async () => {
    const s = await one(`    labels:
      - com.example.a=1
      - flag
    container_name: notes-web
    hostname: web1
    working_dir: /app
    user: "1000"
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    tty: true
    stdin_open: true
    init: true
    read_only: true
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    dns: 1.1.1.1
    pull_policy: never
`);
    expect(s).toMatchObject({
      labels: { 'com.example.a': '1', flag: '' },
      containerName: 'notes-web',
      hostname: 'web1',
      workingDir: '/app',
      user: '1000',
      stopSignal: 'SIGINT',
      stopGracePeriod: 90,
      tty: true,
      stdinOpen: true,
      init: true,
      readOnly: true,
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      dns: ['1.1.1.1'],
      pullPolicy: 'never',
    });
    expect((await one('    labels:\n      a: 1\n      b: "x"\n    dns: [8.8.8.8, 1.1.1.1]\n    pull_policy: if_not_present\n')).labels).toEqual({
      a: '1',
      b: 'x',
    });
    expect((await one('    stop_grace_period: 500ms\n')).stopGracePeriod).toBe(0.5);
  });

  it('extra_hosts list (both separators) and map', async () => {
    expect((await one('    extra_hosts:\n      - "db:10.0.0.2"\n      - "cache=10.0.0.3"\n      - "v6:::1"\n')).extraHosts).toEqual([
      'db:10.0.0.2',
      'cache:10.0.0.3',
      'v6:::1',
    ]);
    expect((await one('    extra_hosts:\n      db: 10.0.0.2\n      v6: "::1"\n')).extraHosts).toEqual(['db:10.0.0.2', 'v6:::1']);
  });

  it('resources: deploy limits, mem_limit, cpus, replicas, scale', async () => {
    const s = await one('    deploy:\n      replicas: 3\n      resources:\n        limits:\n          cpus: "0.5"\n          memory: 512M\n');
    expect([s.cpus, s.memory, s.replicas]).toEqual([0.5, 512 * 1024 ** 2, 3]);
    const t = await one('    cpus: 1.5\n    mem_limit: 1g\n    scale: 2\n');
    expect([t.cpus, t.memory, t.replicas]).toEqual([1.5, 1024 ** 3, 2]);
    expect((await one('    mem_limit: 1073741824\n')).memory).toBe(1024 ** 3);
    expect((await one('    scale: 0\n')).replicas).toBe(0);
    expect(await loadError('services:\n  web:\n    image: x\n    mem_limit: lots\n')).toMatch(/services\.web\.mem_limit: invalid memory size "lots"/);
    expect(await loadError('services:\n  web:\n    image: x\n    scale: 2\n    deploy:\n      replicas: 3\n')).toMatch(
      /can't set distinct values on scale and deploy\.replicas/,
    );
    expect(await loadError('services:\n  web:\n    image: x\n    container_name: one\n    scale: 2\n')).toMatch(/container names must be unique/);
  });

  it('container_name must be a valid container name', async () => {
    expect(await loadError('services:\n  web:\n    image: x\n    container_name: "my web"\n')).toMatch(
      /^docker-compose\.yml:4:21: services\.web\.container_name: invalid container name "my web"/,
    );
  });

  it('warns about keys Skiff does not implement', async () => {
    const p = await load('services:\n  web:\n    image: x\n    privileged: true\n    x-mine: 1\n');
    expect(p.warnings).toEqual(['services.web.privileged is not supported by Skiff and is ignored']);
  });
});
