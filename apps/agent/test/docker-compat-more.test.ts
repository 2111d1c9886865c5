import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

let agent: AgentHarness;
let registry: string;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;

const { env: dockerEnv, docker, ok } = dockerClient(() => agent);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

useDockerAgent((ctx) => ({ agent, registry, image } = ctx));

describe('the docker CLI: volumes, networks, images', () => {
  it('volume create / ls / inspect / rm / prune', () => {
    const vol = u('data');
    expect(ok(['volume', 'create', '--label', 'suite=more', vol]).trim()).toBe(vol);
    expect(ok(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}', '--filter', 'label=suite=more']).trim()).toBe(`local ${vol}`);
    expect(ok(['volume', 'ls', '-q', '--filter', 'name=nothing-like-it']).trim()).toBe('');
    const inspect = JSON.parse(ok(['volume', 'inspect', vol])) as { Name: string; Mountpoint: string; Scope: string; Labels: Record<string, string> }[];
    expect(inspect[0]).toMatchObject({ Name: vol, Scope: 'local', Labels: { suite: 'more' } });
    expect(inspect[0]!.Mountpoint).toMatch(/\/_data$/);

    // a volume in use is kept by rm and prune; unused ones go
    const user = u('voluser');
    ok(['run', '-d', '--name', user, '-v', `${vol}:/data`, image, 'sleep', '300']);
    expect(docker(['volume', 'rm', vol]).stderr).toMatch(/Error response from daemon: .*in use/);
    ok(['volume', 'create', u('spare')]);
    ok(['volume', 'create', '--label', 'drop=yes', u('labelled')]);
    const byLabel = ok(['volume', 'prune', '-af', '--filter', 'label=drop=yes']);
    expect(byLabel).toContain(u('labelled'));
    expect(byLabel).not.toContain(u('spare'));
    const pruned = ok(['volume', 'prune', '-af']);
    expect(pruned).toContain(u('spare'));
    expect(pruned).not.toContain(vol);
    ok(['rm', '-f', user]);
    expect(ok(['volume', 'rm', vol]).trim()).toBe(vol);
    expect(docker(['volume', 'inspect', vol]).stderr).toMatch(/no such volume/);
  });

  it('network create --subnet / ls / inspect / connect / disconnect / rm', async () => {
    const { subnet, gateway, prefix } = freeTestSubnet();
    const net = u('net');
    const id = ok(['network', 'create', '--subnet', subnet, '--gateway', gateway, '--label', 'suite=more', net]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}', '--filter', 'label=suite=more']).trim()).toBe(`${net} bridge local`);
    expect(ok(['network', 'ls', '--format', '{{.Name}}'])).toMatch(/^bridge$/m);
    expect(ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Driver}} {{.Internal}}', net]).trim()).toBe(
      `${subnet} ${gateway} bridge false`,
    );

    const ctr = u('netctr');
    ok(['run', '-d', '--name', ctr, image, 'sleep', '300']);
    ok(['network', 'connect', '--ip', `${prefix}.77`, '--alias', 'db', net, ctr]);
    const containers = JSON.parse(ok(['network', 'inspect', '-f', '{{json .Containers}}', net])) as Record<string, { Name: string; IPv4Address: string }>;
    expect(Object.values(containers)).toEqual([expect.objectContaining({ Name: ctr, IPv4Address: `${prefix}.77/24` })]);
    expect(docker(['network', 'rm', net]).code).not.toBe(0); // in use
    ok(['network', 'disconnect', net, ctr]);
    expect(ok(['network', 'inspect', '-f', '{{len .Containers}}', net]).trim()).toBe('0');
    ok(['rm', '-f', ctr]);
    expect(ok(['network', 'rm', net]).trim()).toBe(net);
    expect(docker(['network', 'inspect', net]).code).not.toBe(0);

    const spare = u('sparenet');
    ok(['network', 'create', '--subnet', freeTestSubnet().subnet, spare]);
    expect(ok(['network', 'prune', '-f'])).toContain(spare);
  });

  it('tag, history, save | load, push to a registry and pull back', () => {
    const tagged = `${registry}/skiff-test/more-${tag}:v1`;
    ok(['tag', image, tagged]);
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(tagged);
    const history = ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', tagged]).trim().split('\n');
    expect(history.length).toBeGreaterThan(0);
    expect(history[0]).toMatch(/^sha256:[0-9a-f]{64}\|/);

    // save to a file and through a pipe, load back after rmi
    const file = join(agent.dir, 'saved.tar');
    ok(['save', '-o', file, tagged]);
    expect(readFileSync(file).length).toBeGreaterThan(1024);
    ok(['rmi', tagged]);
    expect(ok(['load', '-i', file])).toContain(`Loaded image: ${tagged}`);
    const piped = spawnSync('sh', ['-c', `docker save "${tagged}" | docker load`], { env: dockerEnv(), encoding: 'utf8', timeout: 60_000 });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain(`Loaded image: ${tagged}`);
    expect(docker(['save', 'no-such-image:nope']).stderr).toMatch(/Error response from daemon/);

    const push = docker(['push', tagged]);
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/v1: digest: sha256:[0-9a-f]{64}/);
    ok(['rmi', tagged]);
    const pull = docker(['pull', tagged]);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${tagged}`);
    ok(['rmi', tagged]);

    const failed = docker(['push', `127.0.0.1:1/nope/none-${tag}:latest`]);
    expect(failed.code).not.toBe(0);
  });
});

describe('the docker CLI: events, system df, running containers', () => {
  it('events --since --until replays container start and die', () => {
    const since = (Date.now() / 1000 - 1).toFixed(3);
    const name = u('ev');
    ok(['run', '--name', name, image, 'true']);
    const until = (Date.now() / 1000 + 0.5).toFixed(3);
    const ev = docker([
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    expect(ev.code).toBe(0);
    const lines = ev.stdout.trim().split('\n');
    expect(lines).toContain(`container start ${name}`);
    expect(lines).toContain(`container die ${name}`);
    expect(lines.indexOf(`container start ${name}`)).toBeLessThan(lines.indexOf(`container die ${name}`));
    // --until alone replays what was kept up to then
    expect(ok(['events', '--until', until, '--filter', `container=${name}`, '--filter', 'event=die', '--format', '{{.Action}}']).trim()).toBe('die');
    // the type filter keeps them out
    expect(docker(['events', '--since', since, '--until', until, '--filter', 'type=volume', '--filter', `container=${name}`]).stdout).toBe('');
    const kept = u('kept');
    ok(['run', '--name', kept, '-l', 'keep=yes', image, 'true']);
    const filtered = ok(['container', 'prune', '-f', '--filter', 'label!=keep=yes']);
    expect(filtered).toContain('Deleted Containers');
    expect(docker(['inspect', name]).code).not.toBe(0);
    expect(ok(['inspect', '-f', '{{.State.Status}}', kept]).trim()).toBe('exited');
    ok(['container', 'prune', '-f']);
    expect(docker(['inspect', kept]).code).not.toBe(0);
  });

  it('live events, filtered', async () => {
    const name = u('live-ev');
    const follower = spawn(
      'docker',
      ['events', '--filter', `container=${name}`, '--filter', 'event=die', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'],
      { env: dockerEnv() },
    );
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((r) => follower.on('close', r));
    try {
      await sleep(500);
      expect(docker(['run', '--rm', '--name', name, image, 'sh', '-c', 'exit 4']).code).toBe(4);
      for (let i = 0; i < 50 && !out.includes('die'); i++) await sleep(100);
      expect(out).toBe(`die ${name} 4\n`);
    } finally {
      follower.kill();
      await closed;
    }
  });

  it('system df, image prune', () => {
    expect(ok(['image', 'prune', '-f'])).toContain('Total reclaimed space');
    const df = ok(['system', 'df']);
    expect(df).toMatch(/^Images\s+\d+\s+\d+/m);
    expect(df).toMatch(/^Containers\s+\d+/m);
    expect(df).toMatch(/^Local Volumes\s+\d+/m);
  });

  it('top, stats, diff, rename, pause / unpause, cp both ways', async () => {
    const name = u('live');
    ok(['run', '-d', '--name', name, image, 'sh', '-c', 'echo made > /created.txt; exec sleep 1000']);
    for (let i = 0; i < 50 && !docker(['diff', name]).stdout.includes('/created.txt'); i++) await sleep(100);

    const top = ok(['top', name]);
    expect(top).toMatch(/PID/);
    expect(top).toContain('sleep 1000');

    const stats = docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}', name]);
    expect(stats.code).toBe(0);
    expect(stats.stdout.trim()).toMatch(
      new RegExp(`^${name}\\|\\d+\\.\\d+%\\|[\\d.]+\\w?i?B / [\\d.]+\\w?i?B\\|[\\d.]+\\w?B / [\\d.]+\\w?B\\|[\\d.]+\\w?B / [\\d.]+\\w?B\\|1$`),
    );

    expect(ok(['diff', name])).toMatch(/^A \/created\.txt$/m);

    const renamed = u('renamed');
    ok(['rename', name, renamed]);
    expect(ok(['inspect', '-f', '{{.Name}}', renamed]).trim()).toBe(`/${renamed}`);
    expect(docker(['inspect', name]).code).not.toBe(0);

    ok(['pause', renamed]);
    expect(ok(['inspect', '-f', '{{.State.Status}}', renamed]).trim()).toBe('paused');
    ok(['unpause', renamed]);
    expect(ok(['inspect', '-f', '{{.State.Status}}', renamed]).trim()).toBe('running');

    // cp into the container (into a directory, and to a new name), and back out
    const dir = join(agent.dir, `cp-${tag}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'in.txt'), 'from the host\n');
    ok(['cp', join(dir, 'in.txt'), `${renamed}:/tmp/`]);
    ok(['cp', join(dir, 'in.txt'), `${renamed}:/tmp/other.txt`]);
    ok(['cp', `${renamed}:/tmp/in.txt`, join(dir, 'back.txt')]);
    expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('from the host\n');
    ok(['cp', `${renamed}:/tmp/other.txt`, join(dir, 'other.txt')]);
    expect(readFileSync(join(dir, 'other.txt'), 'utf8')).toBe('from the host\n');
    ok(['cp', `${renamed}:/created.txt`, dir]);
    expect(readFileSync(join(dir, 'created.txt'), 'utf8')).toBe('made\n');
    // a directory
    ok(['cp', `${renamed}:/etc`, join(dir, 'etc-copy')]);
    expect(existsSync(join(dir, 'etc-copy', 'passwd'))).toBe(true);
    // a directory's content ("dir/."), names kept as they are
    ok(['cp', `${renamed}:/etc/.`, join(dir, 'etc-content')]);
    expect(readdirSync(join(dir, 'etc-content')).sort()).toEqual(expect.arrayContaining(['group', 'passwd']));
    expect(readdirSync(join(dir, 'etc-content')).every((n) => !n.includes('etc-content'))).toBe(true);
    expect(docker(['cp', `${renamed}:/no/such/file`, dir]).stderr).toMatch(/Error response from daemon|No such container:path|could not find/);

    // a stopped container too
    ok(['stop', '-t', '1', renamed]);
    ok(['cp', `${renamed}:/tmp/in.txt`, join(dir, 'stopped.txt')]);
    expect(readFileSync(join(dir, 'stopped.txt'), 'utf8')).toBe('from the host\n');
    ok(['rm', '-f', renamed]);
  });
});

describe('the docker CLI: prune filters', () => {
  it('image prune: dangling, label, label!, until (timestamp and duration), unknown filters', () => {
    const ctx = join(agent.dir, `prune-ctx-${tag}`);
    mkdirSync(ctx);
    const mine = `label=prune.test=${tag}`;
    const build = (kind: string, ...tagged: string[]) => {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL prune.test=${tag} prune.kind=${kind}\n`);
      return ok(['build', '-q', ...tagged, ctx]).trim();
    };
    const exists = (ref: string) => docker(['image', 'inspect', ref]).code === 0;
    const dangling = build('dangling');
    const dropped = build('drop', '-t', `prune-drop:${tag}`);
    const kept = build('keep', '-t', `prune-keep:${tag}`);
    try {
      // without -a only dangling images go
      const first = ok(['image', 'prune', '-f', '--filter', mine]);
      expect(first).toMatch(new RegExp(`^Deleted Images:\\ndeleted: ${dangling}\\n\\nTotal reclaimed space: `));
      expect([exists(dangling), exists(dropped), exists(kept), exists(image)]).toEqual([false, true, true, true]);
      // everything here is younger than an hour
      expect(ok(['image', 'prune', '-a', '-f', '--filter', mine, '--filter', 'until=1h'])).toBe('Total reclaimed space: 0B\n');
      const second = ok(['image', 'prune', '-a', '-f', '--filter', mine, '--filter', 'label!=prune.kind=keep']);
      expect(second).toMatch(new RegExp(`^Deleted Images:\\nuntagged: prune-drop:${tag}\\ndeleted: ${dropped}\\n\\nTotal reclaimed space: `));
      expect([exists(dropped), exists(kept), exists(image)]).toEqual([false, true, true]);
      const later = String(Math.ceil(Date.now() / 1000) + 60);
      expect(ok(['image', 'prune', '-a', '-f', '--filter', mine, '--filter', `until=${later}`])).toContain(`untagged: prune-keep:${tag}\ndeleted: ${kept}\n`);
      expect([exists(kept), exists(image)]).toEqual([false, true]);
      expect(docker(['image', 'prune', '-f', '--filter', 'reference=x'])).toMatchObject({
        code: 1,
        stderr: "Error response from daemon: invalid filter 'reference'\n",
      });
    } finally {
      docker(['rmi', '-f', dangling, dropped, kept]);
    }
  });

  it('network prune: label, label!, until (timestamp and duration), unknown filters', async () => {
    const [a, b, c] = [u('prune-a'), u('prune-b'), u('prune-c')];
    const create = (name: string, kind: string) =>
      ok(['network', 'create', '--subnet', freeTestSubnet().subnet, '--label', `prune.test=${tag}`, '--label', `prune.kind=${kind}`, name]);
    const mine = `label=prune.test=${tag}`;
    try {
      create(a, 'drop');
      create(b, 'keep');
      expect(ok(['network', 'prune', '-f', '--filter', mine, '--filter', 'label!=prune.kind=keep'])).toBe(`Deleted Networks:\n${a}\n\n`);
      const between = (Date.now() / 1000).toFixed(3);
      await sleep(50);
      create(c, 'keep');
      expect(ok(['network', 'prune', '-f', '--filter', mine, '--filter', `until=${between}`])).toBe(`Deleted Networks:\n${b}\n\n`);
      expect(ok(['network', 'prune', '-f', '--filter', mine, '--filter', 'until=1h'])).toBe('');
      expect(ok(['network', 'ls', '-q', '--filter', mine]).trim().split('\n')).toHaveLength(1);
      expect(docker(['network', 'prune', '-f', '--filter', 'dangling=true'])).toMatchObject({
        code: 1,
        stderr: "Error response from daemon: invalid filter 'dangling'\n",
      });
    } finally {
      for (const n of [a, b, c]) docker(['network', 'rm', n]);
    }
  });
});
