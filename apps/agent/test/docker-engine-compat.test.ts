import { spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient } from './docker-cli.js';
import { collect, uniqueNames, useDockerodeAgent } from './dockerode-agent.js';

/**
 * What real clients see of the engine (issue 24): exec and network events as dockerd emits
 * them, a tty sized from the create (`ConsoleSize`), a container created on several networks
 * at once (API 1.44+). The docker CLI and dockerode as the clients.
 */

let agent: AgentHarness;
let image: string;
let docker: Docker;
const { docker: cli, ok, env } = dockerClient(() => agent);
const u = uniqueNames();

useDockerodeAgent((ctx) => ({ agent, image, docker } = ctx));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => (Date.now() / 1000).toFixed(3);

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** the events of [since, now] as the docker CLI prints them with `{{json .}}` */
function cliEvents(since: string, filters: string[] = []): DockerEvent[] {
  const out = ok(['events', '--since', since, '--until', now(), ...filters.flatMap((f) => ['--filter', f]), '--format', '{{json .}}']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DockerEvent);
}

describe('exec events', () => {
  it('dockerode: exec_create, exec_start and exec_die (with the exit code), one execID, as dockerd', async () => {
    const name = u('execev');
    const c = await docker.createContainer({ Image: image, name, Cmd: ['sleep', '300'] });
    await c.start();
    const since = now();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'exit 3'], AttachStdout: true, AttachStderr: true });
    // the create step alone is an event: a client watching sees it before any start
    await sleep(50);
    expect(cliEvents(since, [`container=${name}`]).map((e) => e.Action)).toEqual(['exec_create: sh -c exit 3']);
    await collect((await exec.start({})) as unknown as Readable);
    expect(((await exec.inspect()) as { ExitCode: number }).ExitCode).toBe(3);
    const ev = cliEvents(since, [`container=${name}`]);
    expect(ev.map((e) => e.Action)).toEqual(['exec_create: sh -c exit 3', 'exec_start: sh -c exit 3', 'exec_die']);
    for (const e of ev) expect(e).toMatchObject({ Type: 'container', Actor: { ID: c.id, Attributes: { execID: exec.id, name } } });
    expect(ev[2]!.Actor.Attributes.exitCode).toBe('3');
    // the event filter takes the bare action, as dockerd's
    expect(cliEvents(since, [`container=${name}`, 'event=exec_die']).map((e) => e.Actor.Attributes.exitCode)).toEqual(['3']);
    await c.remove({ force: true });
  });

  it("docker CLI: docker exec emits the three, a bare command keeps dockerd's trailing space", () => {
    const name = u('execcli');
    ok(['run', '-d', '--name', name, image, 'sleep', '300']);
    const since = now();
    expect(cli(['exec', name, 'false']).code).toBe(1);
    expect(cli(['exec', name, 'sh', '-c', 'echo hi']).stdout).toBe('hi\n');
    const ev = cliEvents(since, [`container=${name}`]);
    // dockerd writes "exec_create: " + entrypoint + " " + the arguments joined
    expect(ev.map((e) => `${e.Action}|${e.Actor.Attributes.exitCode ?? ''}`)).toEqual([
      'exec_create: false |',
      'exec_start: false |',
      'exec_die|1',
      'exec_create: sh -c echo hi|',
      'exec_start: sh -c echo hi|',
      'exec_die|0',
    ]);
    expect(new Set(ev.slice(0, 3).map((e) => e.Actor.Attributes.execID)).size).toBe(1);
    expect(ev[0]!.Actor.Attributes.execID).not.toBe(ev[3]!.Actor.Attributes.execID);
    ok(['rm', '-f', name]);
  });
});

describe('network events of a start and a stop', () => {
  it('connect on start and disconnect on stop for each network, network-typed, around the container events', () => {
    const [a, b] = [u('neta'), u('netb')];
    const ids = [a, b].map((n) => ok(['network', 'create', '--subnet', freeTestSubnet().subnet, n]).trim());
    const name = u('netev');
    const since = now();
    const id = ok(['create', '--name', name, '--network', a, image, 'sleep', '300']).trim();
    ok(['network', 'connect', b, name]); // not running: joins at the start, its event comes then (dockerd's)
    ok(['start', name]);
    ok(['stop', '-t', '1', name]);
    const mine = cliEvents(since).filter((e) => (e.Type === 'container' && e.Actor.ID === id) || e.Actor.Attributes.container === id);
    expect(mine.map((e) => `${e.Type} ${e.Action} ${e.Type === 'network' ? e.Actor.Attributes.name : ''}`.trim())).toEqual([
      'container create',
      `network connect ${a}`,
      `network connect ${b}`,
      'container start',
      'container kill', // 15, which sleep as pid 1 ignores
      'container kill', // 9 once the timeout ran out
      `network disconnect ${a}`,
      `network disconnect ${b}`,
      'container die',
      'container stop',
    ]);
    for (const e of mine.filter((m) => m.Type === 'network'))
      expect(e).toMatchObject({ Actor: { ID: ids[[a, b].indexOf(e.Actor.Attributes.name!)], Attributes: { container: id, type: 'bridge' } } });
    // the network filter sees them; the default bridge's own come the same way
    expect(cliEvents(since, ['type=network', `network=${a}`]).map((e) => e.Action)).toEqual(['connect', 'disconnect']);
    const bridged = u('bridged');
    const bid = ok(['run', '-d', '--name', bridged, image, 'sleep', '300']).trim();
    ok(['rm', '-f', bridged]);
    expect(cliEvents(since, ['type=network', 'network=bridge']).map((e) => `${e.Action} ${e.Actor.Attributes.container}`)).toEqual([
      `connect ${bid}`,
      `disconnect ${bid}`,
    ]);
    ok(['rm', name]);
    ok(['network', 'rm', a, b]);
  });
});

describe('ConsoleSize', () => {
  it('dockerode: a tty container sees the size from its first instant, and again after a restart', async () => {
    const c = await docker.createContainer({ Image: image, name: u('console'), Tty: true, Cmd: ['stty', 'size'], HostConfig: { ConsoleSize: [33, 101] } });
    await c.start();
    await c.wait();
    expect(((await c.logs({ stdout: true })) as unknown as Buffer).toString()).toBe('33 101\r\n');
    await c.start();
    await c.wait();
    expect(((await c.logs({ stdout: true })) as unknown as Buffer).toString()).toBe('33 101\r\n33 101\r\n');
    expect(((await c.inspect()) as { HostConfig: { ConsoleSize: number[] } }).HostConfig.ConsoleSize).toEqual([33, 101]);
    await c.remove();
  });

  it('docker CLI: run -t in a terminal sends its size, the container starts with it', () => {
    const name = u('consolecli');
    // script gives the CLI a terminal of that size; -d: no resize follows, so only ConsoleSize can carry it
    const r = spawnSync('script', ['-qec', `stty rows 27 cols 91; docker run -d -t --name ${name} ${image} stty size`, '/dev/null'], {
      env: env(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stdout).toBe(0);
    ok(['wait', name]);
    expect(ok(['logs', name])).toBe('27 91\r\n');
    expect(ok(['inspect', '-f', '{{json .HostConfig.ConsoleSize}}', name]).trim()).toBe('[27,91]');
    ok(['rm', name]);
  });

  it('refuses a size that is not [rows, columns]', async () => {
    for (const size of [[-1, 80], [24], 'big', [24, 70_000]])
      await expect(
        docker.createContainer({ Image: image, Tty: true, Cmd: ['true'], HostConfig: { ConsoleSize: size as unknown as number[] } }),
      ).rejects.toMatchObject({
        statusCode: 400,
      });
  });
});

describe('a container created on several networks (API 1.44)', () => {
  it('docker CLI: --network twice, each with its alias and address; names resolve on each', () => {
    const [a, b] = [freeTestSubnet(), freeTestSubnet()];
    const [na, nb] = [u('mna'), u('mnb')];
    ok(['network', 'create', '--subnet', a.subnet, na]);
    ok(['network', 'create', '--subnet', b.subnet, nb]);
    const name = u('multi');
    ok(['run', '-d', '--name', name, '--network', `name=${na},alias=alpha,ip=${a.prefix}.10`, '--network', `name=${nb},alias=beta`, image, 'sleep', '300']);
    const nets = JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', name])) as Record<
      string,
      { IPAddress: string; Aliases: string[] | null }
    >;
    expect(Object.keys(nets).sort()).toEqual([na, nb].sort());
    expect(nets[na]).toMatchObject({ IPAddress: `${a.prefix}.10`, Aliases: expect.arrayContaining(['alpha']) });
    expect(nets[nb]!.IPAddress.startsWith(`${b.prefix}.`)).toBe(true);
    expect(nets[nb]!.Aliases).toEqual(expect.arrayContaining(['beta']));
    expect(nets[nb]!.Aliases ?? []).not.toContain('alpha');
    expect(ok(['exec', name, 'sh', '-c', 'ip -4 -o addr show | grep -c " eth[01] "']).trim()).toBe('2');
    // each alias on its own network: a container on b finds beta, not alpha
    const probe = (net: string, host: string) =>
      cli(['run', '--rm', '--network', net, image, 'sh', '-c', `nslookup ${host} >/dev/null 2>&1 && echo found || echo missing`]).stdout.trim();
    expect([probe(na, 'alpha'), probe(nb, 'beta'), probe(nb, 'alpha')]).toEqual(['found', 'found', 'missing']);
    ok(['rm', '-f', name]);
    ok(['network', 'rm', na, nb]);
  });

  it('dockerode: EndpointsConfig with two networks, each endpoint its own; a network twice is refused', async () => {
    const [a, b] = [freeTestSubnet(), freeTestSubnet()];
    const na = await docker.createNetwork({ Name: u('dna'), IPAM: { Config: [{ Subnet: a.subnet }] } });
    const nb = await docker.createNetwork({ Name: u('dnb'), IPAM: { Config: [{ Subnet: b.subnet }] } });
    const c = await docker.createContainer({
      Image: image,
      name: u('dmulti'),
      Cmd: ['sleep', '300'],
      HostConfig: { NetworkMode: u('dna') },
      NetworkingConfig: {
        EndpointsConfig: {
          [u('dna')]: { Aliases: ['one'] },
          [u('dnb')]: { Aliases: ['two'], IPAMConfig: { IPv4Address: `${b.prefix}.20` } },
        },
      },
    });
    await c.start();
    const nets = ((await c.inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] | null; NetworkID: string }> } })
      .NetworkSettings.Networks;
    expect(nets[u('dnb')]).toMatchObject({ IPAddress: `${b.prefix}.20`, NetworkID: nb.id, Aliases: expect.arrayContaining(['two']) });
    expect(nets[u('dna')]).toMatchObject({ NetworkID: na.id, Aliases: expect.arrayContaining(['one']) });
    const inspected = (await nb.inspect()) as { Containers: Record<string, { IPv4Address: string }> };
    expect(inspected.Containers[c.id]?.IPv4Address).toBe(`${b.prefix}.20/24`);
    await c.remove({ force: true });
    // the same network by name and by id, each with an address: one endpoint cannot have two
    await expect(
      docker.createContainer({
        Image: image,
        Cmd: ['true'],
        HostConfig: { NetworkMode: u('dna') },
        NetworkingConfig: { EndpointsConfig: { [u('dna')]: { Aliases: ['x'] }, [na.id]: { Aliases: ['y'] } } },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await na.remove();
    await nb.remove();
  });
});
