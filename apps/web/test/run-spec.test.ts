import { describe, expect, it } from 'vitest';
import { commandArgv, EMPTY_FORM, parseDotEnv, planRun } from '../lib/run-spec.js';

describe('run form → create spec and command line', () => {
  it('shows exactly `skiff run -d --name N IMAGE` for the simplest form', () => {
    const p = planRun({ ...EMPTY_FORM, image: '127.0.0.1:5000/skiff-test/busybox:latest', name: 'web' });
    expect(p.commandLine).toBe('skiff run -d --name web 127.0.0.1:5000/skiff-test/busybox:latest');
    expect(p.spec).toEqual({ image: '127.0.0.1:5000/skiff-test/busybox:latest', name: 'web' });
    expect(p.errors).toEqual({});
  });

  it("maps every field onto the spec with the runtime's own -p/-v parsers", () => {
    const p = planRun({
      ...EMPTY_FORM,
      image: 'busybox',
      command: 'httpd -f -p 80',
      entrypoint: '/bin/sh',
      env: [
        { key: 'A', value: 'one two' },
        { key: '', value: 'ignored' },
      ],
      ports: '8080:80, 127.0.0.1:9000-9001:90-91/udp',
      volumes: '/srv/www:/www:ro\ndata:/data\n/cache',
      network: 'shop',
      restart: 'on-failure',
      maxRetries: '3',
      cpus: '0.5',
      memory: '256m',
      labels: 'app=web\ntier',
      tty: true,
      user: 'nobody',
      workdir: '/www',
    });
    expect(p.errors).toEqual({});
    expect(p.spec).toMatchObject({
      cmd: ['httpd', '-f', '-p', '80'],
      entrypoint: ['/bin/sh'],
      env: ['A=one two'],
      network: 'shop',
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
      nanoCpus: 500_000_000,
      memory: 256 * 1024 * 1024,
      labels: { app: 'web', tier: '' },
      tty: true,
      openStdin: true,
      user: 'nobody',
      workingDir: '/www',
    });
    expect(p.spec.ports).toEqual([
      { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
      { containerPort: 90, hostPort: 9000, hostIp: '127.0.0.1', protocol: 'udp' },
      { containerPort: 91, hostPort: 9001, hostIp: '127.0.0.1', protocol: 'udp' },
    ]);
    expect(p.spec.mounts).toEqual([
      { type: 'bind', source: '/srv/www', target: '/www', readOnly: true },
      { type: 'volume', source: 'data', target: '/data', readOnly: false, noCopy: false },
      { type: 'volume', source: '', target: '/cache' },
    ]);
    expect(p.commandLine).toBe(
      "skiff run -d -it -p 8080:80 -p 127.0.0.1:9000-9001:90-91/udp -v /srv/www:/www:ro -v data:/data -v /cache -e 'A=one two' --network shop --restart on-failure:3 --cpus 0.5 -m 256m -l app=web -l tier -w /www -u nobody --entrypoint /bin/sh busybox httpd -f -p 80",
    );
  });

  it('runs shell syntax through sh -c and quotes it in the command line', () => {
    expect(commandArgv('echo a b')).toEqual(['echo', 'a', 'b']);
    expect(commandArgv("echo 'a b'")).toEqual(['echo', 'a b']);
    expect(commandArgv('while true; do echo $X; done')).toEqual(['sh', '-c', 'while true; do echo $X; done']);
    expect(planRun({ ...EMPTY_FORM, image: 'busybox', command: 'echo hi; sleep 1' }).commandLine).toBe("skiff run -d busybox sh -c 'echo hi; sleep 1'");
  });

  it('names each bad field instead of sending a request the agent would refuse', () => {
    const p = planRun({
      ...EMPTY_FORM,
      name: 'bad name',
      ports: '99999:80',
      volumes: 'rel/dir:/x\nsrc:relative',
      cpus: '-1',
      memory: 'lots',
      restart: 'always',
      autoRemove: true,
    });
    expect(Object.keys(p.errors).sort()).toEqual(['cpus', 'image', 'memory', 'name', 'ports', 'restart', 'volumes']);
    expect(planRun({ ...EMPTY_FORM, image: 'x', volumes: './here:/x' }).errors.volumes).toMatch(/absolute/);
  });

  it('leaves invalid values out of the command line (the form shows their errors instead)', () => {
    const p = planRun({
      ...EMPTY_FORM,
      image: 'busybox',
      name: 'bad name',
      memory: 'abc',
      cpus: 'x',
      ports: '99999:80 8080:80',
      env: [
        { key: 'BAD KEY', value: '1' },
        { key: 'OK', value: '2' },
      ],
      restart: 'on-failure',
      maxRetries: 'many',
    });
    expect(Object.keys(p.errors).sort()).toEqual(['cpus', 'env', 'maxRetries', 'memory', 'name', 'ports']);
    expect(p.commandLine).toBe('skiff run -d -p 8080:80 -e OK=2 --restart on-failure busybox');
  });

  it('reads pasted .env files', () => {
    expect(parseDotEnv('# db\nexport DB_HOST=db\nDB_PASS="p#ss word"\nEMPTY=\nPORT=5432 # comment\n\nFLAG')).toEqual([
      { key: 'DB_HOST', value: 'db' },
      { key: 'DB_PASS', value: 'p#ss word' },
      { key: 'EMPTY', value: '' },
      { key: 'PORT', value: '5432' },
      { key: 'FLAG', value: '' },
    ]);
  });
});
