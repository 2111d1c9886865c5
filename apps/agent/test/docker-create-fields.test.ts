import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, dockerCompose, useDockerAgent } from './docker-cli.js';

// Create fields the docker CLI sends for --tmpfs, --shm-size, --ulimit, --sysctl and
// --cpuset-*: applied in the container (and only there), and every field that is still
// not applied refused with a 400 naming it instead of being dropped.

let agent: AgentHarness;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;
const { docker, ok } = dockerClient(() => agent);
const hostDir = join(tmpdir(), `skiff-escape-${tag}`);

useDockerAgent((ctx) => ({ agent, image } = ctx));
afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

/** `docker run --rm IMAGE sh -c SCRIPT` with extra flags; stdout */
const sh = (flags: string[], script: string) => ok(['run', '--rm', ...flags, image, 'sh', '-c', script]);

/** a POST with a raw JSON body to the Docker API */
function post(path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      {
        socketPath: agent.dockerSocket,
        method: 'POST',
        path: `/v1.47${path}`,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (out += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** POST /containers/create with a raw body: for what the docker CLI refuses client-side */
const create = (body: Record<string, unknown>) => post('/containers/create', { Image: image, Cmd: ['true'], ...body });

const mountLine = (mounts: string, target: string) => mounts.split('\n').find((l) => l.split(' ')[1] === target) ?? '';

describe('docker run --tmpfs, --shm-size, --ulimit', () => {
  it("mounts a tmpfs with size, mode and Docker's noexec default; exec overrides it", () => {
    const out = sh(['--tmpfs', '/scratch:size=1m,mode=1770', '--tmpfs', '/run/x:exec,uid=1000'], 'cat /proc/mounts; stat -c "%a %u" /scratch /run/x');
    const scratch = mountLine(out, '/scratch');
    expect(scratch).toMatch(/^tmpfs \/scratch tmpfs /);
    expect(scratch.split(' ')[3]!.split(',')).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec', 'size=1024k', 'mode=1770']));
    expect(mountLine(out, '/run/x').split(' ')[3]!.split(',')).not.toContain('noexec');
    expect(out).toContain('1770 0\n');
    expect(out).toMatch(/\n1777 1000\n$/);
  });

  it('--mount type=tmpfs takes its size and mode; option blocks it cannot apply are refused', () => {
    const out = sh(['--mount', 'type=tmpfs,dst=/m,tmpfs-size=1048576,tmpfs-mode=1770'], 'cat /proc/mounts; stat -c %a /m');
    expect(mountLine(out, '/m').split(' ')[3]!.split(',')).toEqual(expect.arrayContaining(['size=1024k', 'mode=1770']));
    expect(out).toMatch(/\n1770\n$/);
    expect(docker(['create', '--mount', 'type=bind,src=/tmp,dst=/b,bind-propagation=shared', image, 'true']).stderr).toContain(
      'Mounts[].BindOptions.Propagation is not supported',
    );
    expect(docker(['create', '--mount', 'type=volume,dst=/v,volume-driver=nfs', image, 'true']).stderr).toContain(
      'Mounts[].VolumeOptions.DriverConfig is not supported',
    );
  });

  it('sizes /dev/shm', () => {
    expect(mountLine(sh(['--shm-size', '8m'], 'cat /proc/mounts'), '/dev/shm')).toContain('size=8192k');
    expect(mountLine(sh([], 'cat /proc/mounts'), '/dev/shm')).toContain('size=65536k');
  });

  it('sets ulimits for the process and for exec, and shows them in inspect', () => {
    const name = u('ulimits');
    try {
      ok(['run', '-d', '--name', name, '--ulimit', 'nofile=1234:2345', '--ulimit', 'core=0', '--shm-size', '16m', image, 'sleep', '300']);
      const limits = (pid: string) => ok(['exec', name, 'cat', `/proc/${pid}/limits`]);
      for (const text of [limits('1'), limits('self')]) {
        expect(text).toMatch(/Max open files\s+1234\s+2345\s+files/);
        expect(text).toMatch(/Max core file size\s+0\s+0\s+bytes/);
      }
      const ulimits = JSON.parse(ok(['inspect', '-f', '{{json .HostConfig.Ulimits}}', name])) as { Name: string }[];
      expect(ulimits.sort((a, b) => a.Name.localeCompare(b.Name))).toEqual([
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'nofile', Soft: 1234, Hard: 2345 },
      ]);
      expect(ok(['inspect', '-f', '{{.HostConfig.ShmSize}}', name])).toBe(`${16 * 1024 * 1024}\n`);
    } finally {
      docker(['rm', '-f', name]);
    }
    expect(docker(['run', '--rm', '--ulimit', 'nofile=20:10', image, 'true'])).toMatchObject({ code: 125 });
  });

  it('an anonymous volume from -v /path (Config.Volumes)', () => {
    expect(mountLine(sh(['-v', '/anon'], 'cat /proc/mounts'), '/anon')).not.toBe('');
  });
});

describe('docker run --sysctl', () => {
  it('writes namespaced sysctls inside the container only', () => {
    const hostPorts = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    const hostShm = readFileSync('/proc/sys/kernel/shmmni', 'utf8');
    const out = sh(
      ['--sysctl', 'net.ipv4.ip_unprivileged_port_start=123', '--sysctl', 'kernel.shmmni=1234', '--sysctl', 'fs.mqueue.msg_max=17'],
      'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max',
    );
    expect(out).toBe('123\n1234\n17\n');
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);
    expect(readFileSync('/proc/sys/kernel/shmmni', 'utf8')).toBe(hostShm);
    // /proc/sys stays read-only for the container itself
    expect(docker(['run', '--rm', '--sysctl', 'kernel.shmmni=1234', image, 'sh', '-c', 'echo 99 > /proc/sys/kernel/shmmni']).code).not.toBe(0);
  });

  it("refuses sysctls outside the container's namespaces with a 400 naming them, and leaves the host alone", async () => {
    const core = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const swappiness = readFileSync('/proc/sys/vm/swappiness', 'utf8');
    const attacks: Record<string, string>[] = [
      { 'kernel.core_pattern': '|/tmp/pwn' },
      { 'vm.swappiness': '1' },
      { 'kernel/core_pattern': '|/tmp/pwn' },
      { 'net.ipv4/../../kernel/core_pattern': '|/tmp/pwn' },
      { 'net/../kernel/core_pattern': '|/tmp/pwn' },
      { 'fs.mqueue/../../kernel/core_pattern': '|/tmp/pwn' },
      { 'kernel.shmmax/../core_pattern': '|/tmp/pwn' },
      { 'fs.file-max': '100' },
      { 'kernel.hostname': 'x' },
      { 'net.ipv4.ip_forward': '0\nkernel.core_pattern=|/tmp/pwn' },
    ];
    for (let round = 0; round < 3; round++) {
      for (const Sysctls of attacks) {
        const r = await create({ HostConfig: { Sysctls } });
        expect(r.status, JSON.stringify(Sysctls)).toBe(400);
        expect(r.body).toMatch(/sysctl/);
      }
    }
    // in the host's network namespace net.* is the host's
    const host = await create({ HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '0' } } });
    expect(host).toMatchObject({ status: 400, body: expect.stringContaining("host's network namespace") });
    expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(core);
    expect(readFileSync('/proc/sys/vm/swappiness', 'utf8')).toBe(swappiness);
  });
});

describe('docker run --cpuset-cpus / --cpuset-mems', () => {
  it('pins the container to the CPUs given, docker update moves it, unknown CPUs are refused', () => {
    const cpus = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const last = cpus.split(/[-,]/).pop()!;
    const name = u('cpuset');
    try {
      ok(['run', '-d', '--name', name, '--cpuset-cpus', last, '--cpuset-mems', '0', image, 'sleep', '300']);
      const allowed = () => ok(['exec', name, 'sh', '-c', 'grep -E "^(Cpus|Mems)_allowed_list" /proc/1/status /proc/self/status | sort']);
      expect(allowed()).toBe(
        `/proc/1/status:Cpus_allowed_list:\t${last}\n/proc/1/status:Mems_allowed_list:\t0\n/proc/self/status:Cpus_allowed_list:\t${last}\n/proc/self/status:Mems_allowed_list:\t0\n`,
      );
      expect(ok(['inspect', '-f', '{{.HostConfig.CpusetCpus}}/{{.HostConfig.CpusetMems}}', name])).toBe(`${last}/0\n`);
      ok(['update', '--cpuset-cpus', '0', name]);
      expect(allowed()).toMatch(/^\/proc\/1\/status:Cpus_allowed_list:\t0\n/);
      ok(['restart', '-t', '0', name]);
      expect(allowed()).toMatch(/^\/proc\/1\/status:Cpus_allowed_list:\t0\n/);
      expect(docker(['update', '--cpuset-cpus', '4096', name])).toMatchObject({ code: 1, stderr: expect.stringContaining('Requested CPUs are not available') });
    } finally {
      docker(['rm', '-f', name]);
    }
    expect(docker(['run', '--rm', '--cpuset-cpus', '4096', image, 'true'])).toMatchObject({
      code: 125,
      stderr: expect.stringContaining(`Requested CPUs are not available - requested 4096, available: ${cpus}`),
    });
    expect(docker(['run', '--rm', '--cpuset-mems', '63', image, 'true'])).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('Requested memory nodes are not available'),
    });
    expect(docker(['run', '--rm', '--cpuset-cpus', '1-0', image, 'true'])).toMatchObject({ code: 125 });
  });
});

describe('a tmpfs target through a symlink in the image', () => {
  it('lands inside the container root, never on the host path the link names', () => {
    mkdirSync(join(hostDir, 'sub'), { recursive: true });
    const ctx = join(agent.dir, `escape-ctx-${tag}`);
    mkdirSync(ctx, { recursive: true });
    const img = `escape-${tag}:1`;
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${image}\nRUN ln -s ${hostDir} /abs && ln -s ../../../../../../..${hostDir} /rel && ln -s ${hostDir} /parent\n`,
    );
    ok(['build', '-q', '-t', img, ctx]);
    try {
      for (let round = 0; round < 3; round++) {
        for (const target of ['/abs', '/rel', '/parent/sub']) {
          const out = ok(['run', '--rm', '--tmpfs', target, img, 'sh', '-c', `touch ${target}/pwned-${round} && cat /proc/mounts`]);
          expect(out).toMatch(new RegExp(` ${hostDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/sub)? tmpfs `));
          expect(readdirSync(hostDir).filter((f) => f.startsWith('pwned'))).toEqual([]);
          expect(readdirSync(join(hostDir, 'sub'))).toEqual([]);
          expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(hostDir);
        }
      }
    } finally {
      docker(['rmi', '-f', img]);
    }
    expect(existsSync(hostDir)).toBe(true);
  });
});

describe('create fields not applied are refused, defaults pass', () => {
  it("the docker CLI's and compose's zero values create fine", async () => {
    const name = u('defaults');
    try {
      ok([
        'create',
        '--name',
        name,
        '-e',
        'A=1',
        '-p',
        '127.0.0.1::80',
        '--restart',
        'on-failure:2',
        '--init',
        '--read-only',
        '-w',
        '/tmp',
        '--expose',
        '81',
        image,
        'true',
      ]);
      expect(ok(['inspect', '-f', '{{json .Config.ExposedPorts}}', name])).toMatch(/"81\/tcp":\{\}/);
    } finally {
      docker(['rm', '-f', name]);
    }
    // what docker-py (compose v1) and older clients send for nothing set
    const zeros = await create({
      Domainname: '',
      AttachStdin: false,
      StdinOnce: false,
      NetworkDisabled: false,
      OnBuild: null,
      Shell: null,
      HostConfig: {
        LogConfig: { Type: '', Config: {} },
        CgroupnsMode: '',
        IpcMode: '',
        PidMode: '',
        UTSMode: '',
        UsernsMode: '',
        Privileged: false,
        MemorySwappiness: -1,
        OomKillDisable: false,
        BlkioWeightDevice: [],
        BlkioDeviceReadBps: null,
        Devices: [],
        CpuQuota: 0,
        SecurityOpt: null,
        ConsoleSize: [24, 80],
        Isolation: '',
        DeviceRequests: null,
        RestartPolicy: { Name: '', MaximumRetryCount: 0 },
      },
      NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '' } } },
    });
    expect(zeros.status).toBe(201);
    ok(['rm', JSON.parse(zeros.body).Id]);
  });

  it('unsupported flags are a clear error naming the field', async () => {
    const refused: [string[], string][] = [
      [['--device-read-bps', '/dev/null:1mb'], 'HostConfig.BlkioDeviceReadBps (docker run --device-read-bps)'],
      [['--cpu-quota', '50000'], 'HostConfig.CpuQuota (docker run --cpu-quota)'],
      [['--oom-kill-disable'], 'HostConfig.OomKillDisable'],
      [['--memory-reservation', '32m'], 'HostConfig.MemoryReservation'],
      [['--pid', 'host'], 'HostConfig.PidMode'],
      [['--ipc', 'host'], 'HostConfig.IpcMode'],
      [['--security-opt', 'seccomp=unconfined'], 'HostConfig.SecurityOpt'],
      [['--group-add', '10'], 'HostConfig.GroupAdd'],
      [['--dns-search', 'example.com'], 'HostConfig.DnsSearch'],
      [['--log-opt', 'max-size=1m'], 'HostConfig.LogConfig'],
      [['--domainname', 'example.com'], 'Domainname'],
    ];
    for (const [flags, field] of refused) {
      const r = docker(['create', ...flags, image, 'true']);
      expect(r, flags.join(' ')).toMatchObject({ code: 1, stderr: expect.stringContaining(`Error response from daemon: ${field}`) });
      expect(r.stderr).toContain('is not supported by Skiff');
    }
    expect(ok(['ps', '-aq', '--filter', 'status=created']).trim().split('\n').filter(Boolean).length).toBeLessThan(50);
    // several endpoints are served (API 1.44, docker-engine-compat.test.ts): networks that do not exist are a 404
    const two = await create({ NetworkingConfig: { EndpointsConfig: { 'no-such-net-a': {}, 'no-such-net-b': {} } } });
    expect(two).toMatchObject({ status: 404, body: expect.stringContaining('no-such-net-a') });
  });
});

describe('request bodies of the wrong shape', () => {
  it('a create field of the wrong type is a 400 naming it, not a failure inside', async () => {
    const wrong: [Record<string, unknown>, string][] = [
      [{ Env: 'A=1' }, 'Env'],
      [{ Cmd: 5 }, 'Cmd'],
      [{ Labels: { a: 1 } }, 'Labels.a'],
      [{ Healthcheck: { Test: 'true' } }, 'Healthcheck.Test'],
      [{ HostConfig: { Binds: '/tmp:/x' } }, 'HostConfig.Binds'],
      [{ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 8080 }] } } }, 'HostConfig.PortBindings.80/tcp.0.HostPort'],
      [{ HostConfig: { Mounts: [{ Type: 'tmpfs', Target: 5 }] } }, 'HostConfig.Mounts.0.Target'],
      [{ HostConfig: { ShmSize: -1 } }, 'HostConfig.ShmSize'],
      [{ NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: 'a' } } } }, 'NetworkingConfig.EndpointsConfig.bridge.Aliases'],
    ];
    for (const [body, field] of wrong) {
      const r = await create(body);
      expect(r, JSON.stringify(body)).toMatchObject({ status: 400, body: expect.stringContaining(`invalid container config: ${field}:`) });
    }
    expect((await post('/containers/create', ['not', 'an', 'object'])).status).toBe(400);
  });

  it('a network connect body of the wrong type is a 400 naming the field', async () => {
    const name = u('shape');
    ok(['run', '-d', '--name', name, image, 'sleep', '30']);
    try {
      for (const [body, field] of [
        [{ Container: name, EndpointConfig: { Aliases: 'a' } }, 'EndpointConfig.Aliases'],
        [{ Container: name, EndpointConfig: { IPAMConfig: { IPv4Address: 1 } } }, 'EndpointConfig.IPAMConfig.IPv4Address'],
        [{ Container: 7 }, 'Container'],
      ] as const) {
        const r = await post('/networks/bridge/connect', body);
        expect(r, JSON.stringify(body)).toMatchObject({ status: 400, body: expect.stringContaining(`invalid connect request: ${field}:`) });
      }
      expect(ok(['inspect', '-f', '{{len .NetworkSettings.Networks}}', name]).trim()).toBe('1');
    } finally {
      docker(['rm', '-f', name]);
    }
  });
});

describe('the same fields from skiff run and docker-compose (v1)', () => {
  const script = 'cat /proc/mounts; cat /proc/self/limits; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; grep Cpus_allowed_list /proc/self/status';
  const check = (out: string) => {
    expect(mountLine(out, '/t').split(' ')[3]!.split(',')).toEqual(expect.arrayContaining(['noexec', 'nosuid', 'nodev', 'size=2048k']));
    expect(mountLine(out, '/dev/shm')).toContain('size=4096k');
    expect(out).toMatch(/Max open files\s+100\s+200\s+files/);
    expect(out).toMatch(/\n77\nCpus_allowed_list:\t0\n$/);
  };

  it('skiff run --tmpfs --shm-size --ulimit --sysctl --cpuset-cpus; skiff update --cpuset-cpus', () => {
    const r = agent.cli([
      'run',
      '--rm',
      '--tmpfs',
      '/t:size=2m',
      '--shm-size',
      '4m',
      '--ulimit',
      'nofile=100:200',
      '--sysctl',
      'net.ipv4.ip_unprivileged_port_start=77',
      '--cpuset-cpus',
      '0',
      image,
      'sh',
      '-c',
      script,
    ]);
    expect(r.stderr).toBe('');
    check(r.stdout);
    expect(agent.cli(['run', '--rm', '--sysctl', 'kernel.core_pattern=|/x', image, 'true'])).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('sysctl "kernel.core_pattern" is not allowed'),
    });
    expect(agent.cli(['run', '--rm', '--ulimit', 'bogus=1', image, 'true'])).toMatchObject({ code: 125, stderr: expect.stringContaining('bogus') });
    const name = u('skiff-cpuset');
    try {
      expect(agent.cli(['run', '-d', '--name', name, image, 'sleep', '300']).code).toBe(0);
      expect(agent.cli(['update', '--cpuset-cpus', '0', name]).code).toBe(0);
      expect(agent.cli(['exec', name, 'grep', 'Cpus_allowed_list', '/proc/1/status']).stdout).toBe('Cpus_allowed_list:\t0\n');
    } finally {
      agent.cli(['rm', '-f', name]);
    }
  });

  it('docker-compose tmpfs, shm_size, ulimits, sysctls, cpuset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dc-kernel-'));
    const project = `dck${tag}`;
    const compose = (args: string[]) => dockerCompose(agent, project, dir, args);
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      `version: "2.4"
services:
  app:
    image: ${image}
    command: ["sleep", "300"]
    network_mode: none
    tmpfs:
      - /t:size=2m
    shm_size: 4m
    ulimits:
      nofile:
        soft: 100
        hard: 200
    sysctls:
      net.ipv4.ip_unprivileged_port_start: "77"
    cpuset: "0"
`,
    );
    try {
      const up = compose(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      const out = compose(['exec', '-T', 'app', 'sh', '-c', script]);
      expect(out.code, out.stderr).toBe(0);
      check(out.stdout);
    } finally {
      compose(['down', '-t', '0']);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
