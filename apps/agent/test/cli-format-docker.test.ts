import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

// `skiff X --format T` prints what `docker X --format T` prints against Skiff's Docker API:
// the same template over the same objects, through the native client (the agent runs the
// command) and the Node CLI (SKIFF_CLIENT=node). Templates leave out what moves with the
// clock between two calls (RunningFor, Status, CreatedSince).

let agent: AgentHarness;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `fmt-${name}-${tag}`;
const { docker, ok } = dockerClient(() => agent);

useDockerAgent((ctx) => ({ agent, image } = ctx));

beforeAll(() => {
  // one label each where a listing joins them: docker joins them in Go's map order, at random
  ok(['network', 'create', '--label', 'tier=front', u('net')]);
  ok(['volume', 'create', '--label', 'keep=yes', u('vol')]);
  ok([
    'run',
    '-d',
    '--name',
    u('web'),
    '--label',
    'com.example.k=v1',
    '--label',
    'b=2',
    '--network',
    u('net'),
    '-p',
    '127.0.0.1:18081:80',
    '-p',
    '9000',
    '-v',
    `${u('vol')}:/data`,
    image,
    'sh',
    '-c',
    'exec sleep 1000',
  ]);
  ok(['create', '--name', u('idle'), image, 'echo', 'a "quoted" and long command line']);
}, 120_000);

afterAll(() => {
  docker(['rm', '-f', u('web'), u('idle')]);
  docker(['network', 'rm', u('net')]);
  docker(['volume', 'rm', u('vol')]);
});

/** docker's output and skiff's through both clients; skiff's errors carry its own prefix */
function compare(args: string[]) {
  const want = docker(args);
  const norm = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/^skiff: /, '') });
  const native = norm(agent.cli(args));
  const node = norm(agent.cli(args, { env: { SKIFF_CLIENT: 'node' } }));
  return { want: norm(want), native, node };
}

function expectSame(args: string[]) {
  const { want, native, node } = compare(args);
  expect(want.code, `docker ${args.join(' ')}: ${want.stderr}`).toBe(0);
  expect(native, `skiff ${args.join(' ')}`).toEqual(want);
  expect(node, `skiff (node) ${args.join(' ')}`).toEqual(want);
}

describe('--format against the docker CLI', () => {
  it('ps: tables with headers, several fields and literal text, methods, functions, json', () => {
    for (const f of [
      'table {{.ID}}\\t{{.Names}}\\t{{.Image}}\\t{{.Command}}\\t{{.State}}',
      '{{.Names}}: {{.Labels}} [{{.Label "com.example.k"}}] {{.Networks}} {{.Ports}} {{.LocalVolumes}} {{.Size}} {{.CreatedAt}}',
      '{{if eq .State "running"}}{{upper .Names}}{{else}}{{lower .State}}{{end}} {{len .Names}} {{join (split .Labels ",") ";"}}',
      'table {{.Names}}\\t{{.Ports}}\\t{{.Networks}}',
      '{{json .Names}} {{.Names | printf "%-30s"}}|',
    ])
      expectSame(['ps', '-a', '--filter', `name=${tag}`, '--format', f]);
    expectSame(['ps', '-a', '--no-trunc', '--filter', `name=${tag}`, '--format', '{{.ID}} {{.Command}}']);
    const quiet = compare(['ps', '-aq', '--filter', `name=${tag}`, '--format', '{{.Names}}']);
    expect(quiet.native).toEqual(quiet.want);
    expect(quiet.node).toEqual(quiet.want);
    // json: docker's keys, the same values but for the clock's
    const { want, native, node } = compare(['ps', '-a', '--filter', `name=${tag}`, '--format', 'json']);
    const clockless = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => ({ ...(JSON.parse(l) as Record<string, unknown>), RunningFor: '', Status: '' }));
    expect(clockless(native.stdout)).toEqual(clockless(want.stdout));
    expect(clockless(node.stdout)).toEqual(clockless(want.stdout));
  });

  it('images, network ls, volume ls: their fields, tables and json', () => {
    expectSame(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}']);
    expectSame(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}} {{.CreatedAt}} {{.Containers}}']);
    expectSame(['images', '--digests', '--no-trunc', '--format', '{{.ID}} {{.Digest}}']);
    const quiet = compare(['images', '-q', '--format', '{{.Repository}}']);
    expect(quiet.native).toEqual(quiet.want);
    expectSame([
      'network',
      'ls',
      '--filter',
      `name=${tag}`,
      '--format',
      'table {{.Name}}\\t{{.Driver}}\\t{{.Scope}}\\t{{.Internal}}\\t{{.IPv6}}\\t{{.Labels}}',
    ]);
    expectSame(['network', 'ls', '--format', '{{.Name}} {{.Label "tier"}} {{.CreatedAt}}']);
    expectSame(['network', 'ls', '--format', 'json']);
    expectSame(['volume', 'ls', '--format', 'table {{.Name}}\\t{{.Driver}}\\t{{.Scope}}\\t{{.Labels}}']);
    expectSame(['volume', 'ls', '--format', '{{.Name}} {{.Mountpoint}} {{.Label "keep"}}']);
    expectSame(['volume', 'ls', '--format', 'json']);
    expectSame(['history', '--format', 'table {{.ID}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}', image]);
    expectSame(['history', '--human=false', '--no-trunc', '--format', '{{.ID}} {{.CreatedAt}} {{.Size}} {{.CreatedBy}}', image]);
    expectSame(['stats', '--no-stream', '--format', 'table {{.Name}}\\t{{.ID}}\\t{{.Container}}', u('web')]);
  });

  it('inspect: nested fields, json, range, index, missing fields, json per line', () => {
    for (const f of [
      '{{.State.Status}} {{.Name}} {{json .Config.Labels}} {{index .Config.Labels "com.example.k"}}',
      '{{range .Mounts}}{{.Type}}:{{.Name}}->{{.Destination}} {{end}}',
      '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}{{len .Config.Env}} {{index .Config.Labels "none"}}.',
      '{{json .Config.Cmd}} {{.HostConfig.NetworkMode}} {{println .Path}}',
    ]) {
      expectSame(['inspect', '--format', f, u('web')]);
      expectSame(['container', 'inspect', '--format', f, u('web')]);
    }
    expectSame(['inspect', '--format', '{{.Config.Cmd}} {{range .RepoTags}}{{.}}{{end}}', image]);
    expectSame(['image', 'inspect', '--format', '{{json .RootFS.Layers}} {{.Os}}/{{.Architecture}}', image]);
    expectSame(['network', 'inspect', '--format', '{{.Name}} {{.Driver}} {{json .Labels}} {{.Internal}}', u('net')]);
    expectSame(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Labels.keep}} {{.Mountpoint}}', u('vol')]);
    const { want, native, node } = compare(['inspect', '--format', 'json', u('web'), u('idle')]);
    expect(want.code).toBe(0);
    // docker's json: the array on one line; the same objects (the clock's fields aside)
    const shape = (s: string) => {
      expect(s.endsWith('\n') && !s.trim().includes('\n')).toBe(true);
      return (JSON.parse(s) as Record<string, unknown>[]).map((o) => [o.Id, Object.keys(o).sort()]);
    };
    expect(shape(native.stdout)).toEqual(shape(want.stdout));
    expect(node.stdout).toBe(native.stdout);
  });

  it('events, info and system df: templates and json as docker prints them', () => {
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const since = String(Math.floor(Date.now() / 1000) - 600);
    const window = ['--since', since, '--until', until, '--filter', `container=${u('idle')}`];
    for (const f of ['{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}} {{.Scope}}', '{{json .Actor}}', 'json', '{{.TimeNano}} {{.From}}'])
      expectSame(['events', ...window, '--format', f]);
    expectSame(['info', '--format', '{{.ServerVersion}} {{.Driver}} {{.NCPU}} {{.MemTotal}} {{.KernelVersion}} {{.OSType}} {{.Architecture}}']);
    expectSame(['info', '--format', '{{.Images}} {{.DockerRootDir}} {{json .SecurityOptions}}']);
    // a table, and one summary row per type as JSON
    for (const f of ['table', 'table {{.Type}}\t{{.TotalCount}}', '{{.Type}}={{.Active}}', 'json']) {
      const { want, native, node } = compare(['system', 'df', '--format', f]);
      expect(want.code, want.stderr).toBe(0);
      // docker adds a "Build Cache" row; Skiff's build cache is its layer store (counted in Images)
      const noCache = (t: string) => t.replace(/^.*Build Cache.*\n/m, '');
      expect(native.stdout, f).toBe(noCache(want.stdout));
      expect(node.stdout, f).toBe(native.stdout);
    }
    // errors: events validates the template before any event; info's does not parse
    for (const args of [
      ['events', '--format', '{{.Nope}}'],
      ['events', '--format', '{{.Type'],
      ['info', '--format', '{{.Nope'],
      ['info', '--format', '{{.Nope}}'],
    ]) {
      const { want, native, node } = compare(args);
      expect(want.code, args.join(' ')).not.toBe(0);
      expect(native, `skiff ${args.join(' ')}`).toEqual(want);
      expect(node, `skiff (node) ${args.join(' ')}`).toEqual(want);
    }
  });

  it("template errors: docker's message and exit code", () => {
    for (const args of [
      ['ps', '-a', '--format', '{{.Foo}}'],
      ['ps', '--format', '{{.Names'],
      ['ps', '--format', '{{nope .Names}}'],
      ['images', '--format', '{{.Bar}}'],
      ['inspect', '--format', '{{.State.Status', u('web')],
      ['inspect', '--format', '{{.State.Status}} {{.Nope}}', u('web')],
      ['network', 'inspect', '--format', '{{.Nope}}', u('net')],
    ]) {
      const { want, native, node } = compare(args);
      expect(want.code, args.join(' ')).not.toBe(0);
      expect(native, `skiff ${args.join(' ')}`).toEqual(want);
      expect(node, `skiff (node) ${args.join(' ')}`).toEqual(want);
    }
  });

  it("--help through the native client and the agent is the Node CLI's; -h stays --hostname for run", () => {
    const native = agent.cli(['network', 'create', '--help']);
    expect(native).toMatchObject({ code: 0, stderr: '' });
    expect(native.stdout).toMatch(/^\nUsage: {2}skiff network create \[OPTIONS\] NETWORK\n\nCreate a network\n/);
    expect(agent.cli(['network', 'create', '--help'], { env: { SKIFF_CLIENT: 'node' } })).toEqual(native);
    expect(agent.cli(['run', '--rm', '-h', `box-${tag}`, image, 'hostname'])).toMatchObject({ code: 0, stdout: `box-${tag}\n` });
    expect(agent.cli(['ps', '--bogus'])).toMatchObject({ code: 125, stderr: "skiff: unknown flag: --bogus\nSee 'skiff ps --help'.\n" });
  });
});
