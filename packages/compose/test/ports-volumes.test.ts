import { describe, expect, it } from 'vitest';
import { replicaSpec } from '../src/engine/service-spec.js';
import { load, loadError } from './helpers.js';

const service = (body: string, top = '') => `services:\n  web:\n    image: x\n${body}${top}`;

describe('ports', () => {
  it('short syntax', async () => {
    const p = await load(
      service(`    ports:
      - "80"
      - 443
      - "8080:80"
      - "127.0.0.1:8081:81/udp"
      - "127.0.0.1::82"
      - "[::1]:8083:83"
      - "9000-9001:9000-9001"
      - "7000-7005:70"
`),
    );
    expect(p.services.web!.ports).toEqual([
      { target: 80, protocol: 'tcp' },
      { target: 443, protocol: 'tcp' },
      { target: 80, published: '8080', protocol: 'tcp' },
      { target: 81, published: '8081', protocol: 'udp', hostIp: '127.0.0.1' },
      { target: 82, protocol: 'tcp', hostIp: '127.0.0.1' },
      { target: 83, published: '8083', protocol: 'tcp', hostIp: '::1' },
      { target: 9000, published: '9000', protocol: 'tcp' },
      { target: 9001, published: '9001', protocol: 'tcp' },
      { target: 70, published: '7000-7005', protocol: 'tcp' },
    ]);
  });

  it('container-only ranges expand too', async () => {
    const p = await load(service('    ports: ["5000-5002/udp"]\n'));
    expect(p.services.web!.ports.map((x) => x.target)).toEqual([5000, 5001, 5002]);
    expect(p.services.web!.ports.every((x) => x.protocol === 'udp' && x.published === undefined)).toBe(true);
  });

  it('long syntax', async () => {
    const p = await load(
      service(`    ports:
      - target: 80
        published: 8080
        host_ip: 127.0.0.1
        protocol: udp
        mode: host
      - target: 81
        published: "9000-9010"
      - target: 82
`),
    );
    expect(p.services.web!.ports).toEqual([
      { target: 80, published: '8080', hostIp: '127.0.0.1', protocol: 'udp' },
      { target: 81, published: '9000-9010', protocol: 'tcp' },
      { target: 82, protocol: 'tcp' },
    ]);
  });

  it.each([
    ['"80:80:80:80"', /invalid port "80:80:80:80"/],
    ['"0"', /invalid port "0"/],
    ['"abc"', /invalid port "abc"/],
    ['"8080:80/sctp"', /unsupported protocol "sctp"/],
    ['"9000-9002:9000-9001"', /ranges differ in size/],
    ['"300.1.1.1:80:80"', /"300.1.1.1" is not an IP address/],
  ])('rejects %s', async (spec, re) => {
    const msg = await loadError(service(`    ports:\n      - ${spec}\n`));
    expect(msg).toMatch(/^docker-compose\.yml:5:9: services\.web\.ports\[0\]: /);
    expect(msg).toMatch(re);
  });

  it('rejects a bad long-syntax port', async () => {
    expect(await loadError(service('    ports:\n      - target: 70000\n'))).toBe('docker-compose.yml:5:17: services.web.ports[0].target: invalid port 70000');
    expect(await loadError(service('    ports:\n      - target: 80\n        published: "x"\n'))).toMatch(
      /services\.web\.ports\[0\]\.published: invalid published port "x"/,
    );
  });
});

describe('volumes', () => {
  it('short syntax: bind (relative, absolute, ~), named, anonymous, modes', async () => {
    const p = await load(
      service(
        `    volumes:
      - ./data:/data:ro
      - ../shared:/shared
      - /abs:/x:rw,z
      - ~/cache:/cache
      - named:/named
      - named2:/named2:ro,nocopy
      - /anon
`,
        'volumes:\n  named:\n  named2: {}\n',
      ),
      { env: { HOME: '/home/me' } },
    );
    expect(p.services.web!.volumes).toEqual([
      { type: 'bind', source: '/srv/notes/data', target: '/data', readOnly: true, createHostPath: true },
      { type: 'bind', source: '/srv/shared', target: '/shared', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/abs', target: '/x', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/home/me/cache', target: '/cache', readOnly: false, createHostPath: true },
      { type: 'volume', source: 'named', target: '/named', readOnly: false },
      { type: 'volume', source: 'named2', target: '/named2', readOnly: true },
      { type: 'volume', target: '/anon', readOnly: false },
    ]);
  });

  it('long syntax and tmpfs', async () => {
    const p = await load(
      service(
        `    volumes:
      - type: bind
        source: ./conf
        target: /etc/app
        read_only: true
        bind:
          create_host_path: true
      - type: bind
        source: /var/run/x.sock
        target: /x.sock
      - type: volume
        source: data
        target: /data
      - type: volume
        target: /anon
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 1000
    tmpfs: /run
`,
        'volumes:\n  data:\n',
      ),
    );
    expect(p.services.web!.volumes).toEqual([
      { type: 'bind', source: '/srv/notes/conf', target: '/etc/app', readOnly: true, createHostPath: true },
      { type: 'bind', source: '/var/run/x.sock', target: '/x.sock', readOnly: false, createHostPath: false },
      { type: 'volume', source: 'data', target: '/data', readOnly: false },
      { type: 'volume', target: '/anon', readOnly: false },
      { type: 'tmpfs', target: '/tmp', readOnly: false, tmpfsSize: 1000 },
      { type: 'tmpfs', target: '/run', readOnly: false, tmpfsOptions: '' },
    ]);
  });

  it('tmpfs options, shm_size, ulimits, sysctls and cpuset', async () => {
    const p = await load(
      service(`    tmpfs:
      - /run:size=64m,mode=1770,exec
    shm_size: 128m
    ulimits:
      nproc: 65535
      nofile:
        soft: 20000
        hard: 40000
    sysctls:
      - net.core.somaxconn=1024
    cpuset: "0"
`),
    );
    const web = p.services.web!;
    expect(web.volumes).toEqual([{ type: 'tmpfs', target: '/run', readOnly: false, tmpfsOptions: 'size=64m,mode=1770,exec' }]);
    // what the engine asks the runtime for: Docker's tmpfs defaults under the options
    expect(replicaSpec(p, web, 1, 'x', 'hash').spec).toMatchObject({
      mounts: [{ type: 'tmpfs', target: '/run', tmpfsSize: 64 * 1024 * 1024, tmpfsMode: 0o1770, tmpfsOptions: ['noexec', 'exec'] }],
      shmSize: 128 * 1024 * 1024,
      ulimits: web.ulimits,
      sysctls: { 'net.core.somaxconn': '1024' },
      cpusetCpus: '0',
    });
    expect(web).toMatchObject({
      shmSize: 128 * 1024 * 1024,
      ulimits: [
        { name: 'nproc', soft: 65535, hard: 65535 },
        { name: 'nofile', soft: 20000, hard: 40000 },
      ],
      sysctls: { 'net.core.somaxconn': '1024' },
      cpuset: '0',
    });
  });

  it.each([
    ['    ulimits:\n      bogus: 1\n', /unknown ulimit "bogus"/],
    ['    cpuset: "1-0"\n', /invalid value 1-0 for cpuset cpus/],
    ['    shm_size: lots\n', /invalid shm_size/],
  ])('refuses %j', async (body, error) => {
    expect(await loadError(service(body))).toMatch(error);
  });

  it.each([
    ['data:relative', /the container path "relative" must be absolute/],
    ['./a:/b:bogus', /unknown mode "bogus"/],
    ['a:b:c:d', /invalid volume "a:b:c:d"/],
  ])('rejects %s', async (spec, re) => {
    expect(await loadError(service(`    volumes:\n      - ${spec}\n`, 'volumes:\n  data:\n'))).toMatch(re);
  });

  it('a named volume must be declared, in both syntaxes', async () => {
    expect(await loadError(service('    volumes:\n      - type: volume\n        source: nope\n        target: /x\n'))).toBe(
      'docker-compose.yml:6:17: services.web.volumes[0].source: service "web" refers to undefined volume "nope": declare it under the top-level volumes:',
    );
  });
});
