import { describe, expect, it } from 'vitest';
import { oneOf, parseBytes, parseFlags } from '../src/cli/args.js';
import { specFromArgs } from '../src/cli/commands/run.js';
import { parseDaemonOptions } from '../src/daemon/options.js';

describe('docker-style flag parsing', () => {
  it('combines short flags and stops at the image', () => {
    const { spec, flags } = specFromArgs(
      ['-dit', '--name=web', '-e', 'A=1', '-eB=2', '-m', '64m', '--cpus', '1.5', 'busybox', 'sh', '-c', 'echo -e hi'],
      'run',
    );
    expect(flags.detach).toBe(true);
    expect(spec).toMatchObject({
      image: 'busybox',
      name: 'web',
      tty: true,
      openStdin: true,
      env: ['A=1', 'B=2'],
      memory: 64 * 1024 * 1024,
      nanoCpus: 1.5e9,
      cmd: ['sh', '-c', 'echo -e hi'],
    });
  });

  it('understands restart policies, labels, entrypoint and users', () => {
    const { spec } = specFromArgs(['--restart', 'on-failure:3', '-l', 'a=b', '--label', 'flag', '--entrypoint', '', '-u', 'app:staff', 'img'], 'run');
    expect(spec).toMatchObject({
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
      labels: { a: 'b', flag: '' },
      entrypoint: [],
      user: 'app:staff',
    });
  });

  it('rejects bad flags with clear messages', () => {
    expect(() => specFromArgs(['--bogus', 'img'], 'run')).toThrow(/unknown flag: --bogus/);
    expect(() => specFromArgs(['-Z', 'img'], 'run')).toThrow(/unknown shorthand flag: 'Z'/);
    expect(() => specFromArgs(['-m', 'lots', 'img'], 'run')).toThrow(/invalid value "lots" for --memory/);
    expect(() => specFromArgs(['--restart', 'sometimes', 'img'], 'run')).toThrow(/invalid restart policy/);
    expect(() => specFromArgs(['--rm', '--restart', 'always', 'img'], 'run')).toThrow(/conflicting options/);
    expect(() => specFromArgs([], 'run')).toThrow(/requires at least 1 argument/);
    expect(() => parseFlags(['--name'], { name: { type: 'string' } }, { command: 'x' })).toThrow('flag needs an argument: --name');
    expect(() => specFromArgs(['-dZ', 'img'], 'run')).toThrow("unknown shorthand flag: 'Z' in -dZ\nSee 'skiff run --help'.");
    expect(() => specFromArgs(['--bogus=1', 'img'], 'run')).toThrow("unknown flag: --bogus\nSee 'skiff run --help'.");
    expect(() => specFromArgs(['-ie'], 'run')).toThrow("flag needs an argument: 'e' in -e");
    expect(() => oneOf(['admin', 'viewer'], 'root', '--role')).toThrow('invalid argument "root" for "--role" flag: want admin, viewer');
  });

  it('takes pflag forms: aliases, --flag=false, -e=V, values starting with -, --', () => {
    const defs = {
      pause: { type: 'boolean', short: 'p' },
      time: { type: 'string', short: 't', aliases: ['timeout'] },
      env: { type: 'string', short: 'e', multiple: true },
      swap: { type: 'string' },
    } as const;
    const parse = (argv: string[], stopAtPositional = false) => parseFlags(argv, defs, { command: 'x', stopAtPositional });
    expect(parse(['--pause=false', 'a'])).toEqual({ flags: { pause: false }, args: ['a'] });
    expect(parse(['-p', 'a', '--pause=true']).flags).toEqual({ pause: true });
    expect(parse(['--timeout', '3', '-t5']).flags).toEqual({ time: '5' });
    expect(parse(['--timeout=3']).flags.time).toBe('3');
    expect(parse(['-e=A', '-eB=1', '--env', 'C', '--env=D=2']).flags.env).toEqual(['A', 'B=1', 'C', 'D=2']);
    expect(parse(['--swap', '-1', 'a']).flags.swap).toBe('-1');
    expect(parse(['a', '-p', 'b', '--', '-t', 'c'])).toEqual({ flags: { pause: true }, args: ['a', 'b', '-t', 'c'] });
    expect(parse(['-p', 'a', '-t', '1', '--', 'b'], true)).toEqual({ flags: { pause: true }, args: ['a', '-t', '1', '--', 'b'] });
    expect(parse(['-p', '--', '-t', '1'], true)).toEqual({ flags: { pause: true }, args: ['-t', '1'] });
    expect(parse(['-', '-p'])).toEqual({ flags: { pause: true }, args: ['-'] });
    const { spec } = specFromArgs(['--net', 'n1', '--alias', 'a1', '--network-alias=a2', '--read-only=false', '-P', 'img'], 'run');
    expect(spec).toMatchObject({ network: 'n1', networkAliases: ['a1', 'a2'], readOnly: false, publishAll: true });
  });

  it('turns --health-* into a healthcheck with only the given fields (nanoseconds), as docker', () => {
    const { spec } = specFromArgs(
      [
        '--health-cmd',
        'curl -f localhost || exit 1',
        '--health-interval=1m30s',
        '--health-timeout',
        '500ms',
        '--health-retries',
        '5',
        '--health-start-period',
        '2s',
        '--health-start-interval',
        '1s',
        'img',
      ],
      'run',
    );
    expect(spec.healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f localhost || exit 1'],
      interval: 90e9,
      timeout: 500e6,
      retries: 5,
      startPeriod: 2e9,
      startInterval: 1e9,
    });
    expect(specFromArgs(['--health-retries', '2', 'img'], 'run').spec.healthcheck).toEqual({ retries: 2 });
    expect(specFromArgs(['--no-healthcheck', 'img'], 'run').spec.healthcheck).toEqual({ test: ['NONE'] });
    expect(specFromArgs(['img'], 'run').spec.healthcheck).toBeUndefined();
    expect(() => specFromArgs(['--no-healthcheck', '--health-cmd', 'true', 'img'], 'run')).toThrow('--no-healthcheck conflicts with --health-* options');
    expect(() => specFromArgs(['--health-interval', '5', 'img'], 'run')).toThrow(/invalid duration "5"/);
    expect(() => specFromArgs(['--health-timeout', '-1s', 'img'], 'run')).toThrow('--health-timeout cannot be negative');
  });

  it('parses -p like Docker', () => {
    const { spec } = specFromArgs(['-p', '8080:80', '-p', '127.0.0.1:53:53/udp', '-p', '9000', '-p', '7000-7001:70-71', 'img'], 'run');
    expect(spec.ports).toEqual([
      { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
      { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 53 },
      { containerPort: 9000, protocol: 'tcp' },
      { containerPort: 70, protocol: 'tcp', hostPort: 7000 },
      { containerPort: 71, protocol: 'tcp', hostPort: 7001 },
    ]);
    expect(() => specFromArgs(['-p', '1-3:1-2', 'img'], 'run')).toThrow(/ranges differ/);
    expect(() => specFromArgs(['-p', '80/sctp', 'img'], 'run')).toThrow(/invalid protocol/);
  });

  it('parses sizes and daemon options', () => {
    expect(parseBytes('1g', '-m')).toBe(1024 ** 3);
    expect(parseBytes('512', '-m')).toBe(512);
    const o = parseDaemonOptions(['--root', '/r', '--insecure-registry', 'h:1', '--http=127.0.0.1:9'], { SKIFF_INSECURE_REGISTRIES: 'a:1,b:2' });
    expect(o).toEqual({
      root: '/r',
      socket: '/run/skiff/skiff.sock',
      http: { host: '127.0.0.1', port: 9 },
      dockerSocket: '/run/skiff/docker.sock',
      insecureRegistries: ['a:1', 'b:2', 'h:1'],
      action: 'serve',
      force: false,
      logLevel: 'info',
      proxyHttp: { host: '', port: 80 },
      proxyHttps: { host: '', port: 443 },
    });
    expect(parseDaemonOptions(['--docker-socket', 'off'], {}).dockerSocket).toBeUndefined();
    // the apps' proxy: every interface by default, a flag wins over SKIFF_PROXY_*, off turns a listener off
    const flags = parseDaemonOptions(['--proxy-http', '127.0.0.1:8080', '--proxy-https=off'], { SKIFF_PROXY_HTTP: ':81' });
    expect([flags.proxyHttp, flags.proxyHttps]).toEqual([{ host: '127.0.0.1', port: 8080 }, undefined]);
    const env = parseDaemonOptions([], { SKIFF_PROXY_HTTP: 'off', SKIFF_PROXY_HTTPS: '[::1]:8443' });
    expect([env.proxyHttp, env.proxyHttps]).toEqual([undefined, { host: '::1', port: 8443 }]);
    expect(() => parseDaemonOptions(['--proxy-http', '80'], {})).toThrow(/invalid --proxy-http address "80"/);
    expect(() => parseDaemonOptions(['--proxy-https', ':70000'], {})).toThrow(/invalid --proxy-https/);
    expect(parseDaemonOptions([], { SKIFF_DOCKER_SOCKET: '/tmp/d.sock' }).dockerSocket).toBe('/tmp/d.sock');
    expect(() => parseDaemonOptions(['--nope'], {})).toThrow(/unknown flag/);
    expect(parseDaemonOptions([], { SKIFF_CGROUP_PARENT: 'skiff-b' }).cgroupParent).toBe('skiff-b');
    // the log level: the flag wins over SKIFF_LOG_LEVEL; a name pino does not know is refused
    expect(parseDaemonOptions(['--log-level', 'WARN'], { SKIFF_LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(parseDaemonOptions([], { SKIFF_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => parseDaemonOptions(['--log-level=loud'], {})).toThrow(/invalid --log-level "loud"/);
    expect(parseDaemonOptions(['--help'], {}).action).toBe('help');
    expect(parseDaemonOptions(['--cleanup', '--force'], {})).toMatchObject({ action: 'cleanup', force: true });
    expect(parseDaemonOptions(['--cleanup', '--purge'], {}).action).toBe('purge');
  });
});
