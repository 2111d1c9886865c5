import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, freeTestSubnet, stopFixtureRegistry } from '@skiff/test-fixtures';
import { runCollect, TestRuntime, waitFor } from './helpers.js';

let t: TestRuntime;
let image: string;
/** network namespaces of the containers this file created */
const created = new Set<string>();
const sh = (s: string) => ['sh', '-c', s];
/** a busybox web server answering with its own name */
const httpd = (text: string) => sh(`mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`);

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host]);
  await t.rt.images.pull(image);
}, 120_000);

afterAll(async () => {
  const bridge = (t as unknown as { options: { bridgeName: string } })?.options?.bridgeName;
  await t?.dispose();
  await stopFixtureRegistry();
  // nothing of ours is left on the host (other agents on this host may have their own)
  if (bridge) expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
  expect(readdirSync('/run/netns').filter((n) => created.has(n))).toEqual([]);
}, 60_000);

async function ipOf(id: string): Promise<string> {
  return ((await t.rt.containers.inspect(id)).NetworkSettings as { IPAddress: string }).IPAddress;
}

async function fetchText(url: string): Promise<string> {
  return waitFor(
    async () => {
      const r = await fetch(url).catch(() => undefined);
      return r?.ok ? r.text() : undefined;
    },
    10_000,
    url,
  );
}

describe('default bridge', () => {
  it('gives each container eth0 with an address, a default route, and reachability by address', async () => {
    const { id: a } = await t.rt.containers.run({ image, name: 'bridge-a', cmd: httpd('from-a') });
    const ipA = await ipOf(a);
    expect(ipA).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const r = await runCollect(t.rt, {
      image,
      autoRemove: true,
      cmd: sh(
        `ip -4 addr show eth0 | grep -o "inet [0-9./]*"; ip route | grep default; wget -qO- http://${ipA}/; nslookup bridge-a >/dev/null 2>&1 || echo no-names`,
      ),
    });
    expect(r.stdout).toMatch(/^inet \d+\.\d+\.\d+\.\d+\/\d+\ndefault via \d+\.\d+\.\d+\.1 dev eth0/);
    expect(r.stdout).toContain('from-a\n');
    expect(r.stdout).toContain('no-names'); // no name resolution on the default bridge
    const hosts = await runCollect(t.rt, { image, autoRemove: true, links: ['bridge-a:site'], cmd: sh('wget -qO- http://site/; grep -c bridge-a /etc/hosts') });
    expect(hosts.stdout).toBe('from-a\n1\n'); // --link writes /etc/hosts, one way
    await t.rt.containers.remove(a, { force: true });
  });

  it('publishes ports on 127.0.0.1, on a random port, and refuses a taken one cleanly', async () => {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const { id } = await t.rt.containers.run({
      image,
      ports: [
        { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port },
        { containerPort: 80, protocol: 'tcp' },
      ],
      cmd: httpd('published'),
    });
    expect(await fetchText(`http://127.0.0.1:${port}/`)).toBe('published\n');
    const ports = (await t.rt.containers.inspect(id)).NetworkSettings as { Ports: Record<string, { HostIp: string; HostPort: string }[]> };
    const random = ports.Ports['80/tcp']!.find((p) => p.HostPort !== String(port))!;
    expect(Number(random.HostPort)).toBeGreaterThanOrEqual(32768);
    expect(await fetchText(`http://127.0.0.1:${random.HostPort}/`)).toBe('published\n');
    expect((await t.rt.containers.list()).find((c) => c.id === id)!.ports).toContainEqual({ privatePort: 80, publicPort: port, type: 'tcp', ip: '127.0.0.1' });

    // the same host port again: a clear error, and nothing half-created
    const before = readdirSync('/run/netns').length;
    await expect(t.rt.containers.run({ image, name: 'clash', ports: [{ containerPort: 80, protocol: 'tcp', hostPort: port }], cmd: ['true'] })).rejects.toThrow(
      /port is already allocated/,
    );
    expect(readdirSync('/run/netns').length).toBe(before);
    expect(((await t.rt.containers.inspect('clash')).State as { Running: boolean }).Running).toBe(false);
    await t.rt.containers.remove('clash');
    // a port some host process holds
    const holder: Server = createServer();
    const held = await new Promise<number>((r) => holder.listen(0, '127.0.0.1', () => r((holder.address() as { port: number }).port)));
    await expect(
      t.rt.containers.run({ image, autoRemove: true, ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: held }], cmd: ['true'] }),
    ).rejects.toThrow(/already in use/);
    holder.close();
    await t.rt.containers.remove(id, { force: true });
    await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow(); // rule gone with the container
  });
  it('gives the veth ends no IPv6 addresses, so no DAD, MLD or router solicitation is flooded to every other port', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '60'] });
    const pid = String(((await t.rt.containers.inspect(id)).State as { Pid: number }).Pid);
    const bridge = (t as unknown as { options: { bridgeName: string } }).options.bridgeName;
    const hostEnds = execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(': ')[1]!.split('@')[0]!);
    expect(hostEnds.length).toBeGreaterThan(0);
    // a link-local address would have sent its DAD and MLD report by now, and a router solicitation
    await new Promise((r) => setTimeout(r, 2500));
    const inside = (file: string) => execFileSync('nsenter', ['-t', pid, '-n', 'cat', file], { encoding: 'utf8' });
    expect(
      inside('/proc/net/if_inet6')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).at(-1)),
    ).toEqual(['lo']);
    const eth0 = inside('/proc/net/dev')
      .split('\n')
      .find((l) => l.trim().startsWith('eth0:'))!
      .split(':')[1]!
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(eth0[9]).toBe(0); // packets the container sent: none of its own making
    const hostV6 = readFileSync('/proc/net/if_inet6', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).at(-1));
    for (const v of hostEnds) expect(hostV6).not.toContain(v);
    await t.rt.containers.remove(id, { force: true });
  });
});

describe('run options', () => {
  it('-P publishes EXPOSEd ports; --dns, --add-host, --mac-address, --hostname take effect', async () => {
    const web = image.replace('/busybox:', '/web:');
    await t.rt.images.pull(web);
    const { id } = await t.rt.containers.run({ image: web, publishAll: true });
    const info = (await t.rt.containers.inspect(id)).NetworkSettings as { Ports: Record<string, { HostPort: string }[]> };
    expect(await fetchText(`http://127.0.0.1:${info.Ports['80/tcp']![0]!.HostPort}/`)).toBe('exposed\n');
    await t.rt.containers.remove(id, { force: true });
    const r = await runCollect(t.rt, {
      image,
      autoRemove: true,
      hostname: 'db1',
      dns: ['10.9.9.9'],
      extraHosts: ['registry.local:10.1.2.3'],
      macAddress: '02:42:aa:bb:cc:dd',
      cmd: sh('hostname; grep nameserver /etc/resolv.conf; grep registry.local /etc/hosts; cat /sys/class/net/eth0/address; grep -c db1 /etc/hosts'),
    });
    expect(r.stdout).toBe('db1\nnameserver 10.9.9.9\n10.1.2.3\tregistry.local\n02:42:aa:bb:cc:dd\n1\n');
  });

  it('reconciles after an agent crash: a container that exited meanwhile loses its namespace and address', async () => {
    await t.rt.networks.create('crashnet', { subnet: freeTestSubnet().subnet });
    const { id } = await t.rt.containers.run({ image, network: 'crashnet', cmd: ['sleep', '1'] });
    const ns = `/run/netns/skiff-${id.slice(0, 12)}`;
    expect(existsSync(ns)).toBe(true);
    // the runtime goes away (like a killed agent) while the container is still running
    await t.rt.close();
    await new Promise((r) => setTimeout(r, 1500));
    const rt = await t.reopen();
    expect(existsSync(ns)).toBe(false);
    const net = rt.networks.get('crashnet');
    expect(JSON.parse(await readFile(`${t.root}/networks/${net.id}/ipam.json`, 'utf8')).allocated).toEqual({});
    expect(((await rt.containers.inspect(id)).State as { Status: string }).Status).toBe('exited');
    await rt.containers.remove(id);
    await rt.networks.remove('crashnet');
  });
});

describe('user-defined networks', () => {
  it('resolve containers by name and alias, with --subnet/--gateway/--ip', async () => {
    const { prefix: p } = freeTestSubnet();
    const net = await t.rt.networks.create('appnet', { subnet: `${p}.0/24`, gateway: `${p}.254` });
    expect(net).toMatchObject({ subnet: `${p}.0/24`, gateway: `${p}.254`, driver: 'bridge' });
    const { id: web } = await t.rt.containers.run({ image, name: 'web', network: 'appnet', ip: `${p}.10`, networkAliases: ['www'], cmd: httpd('by-name') });
    expect(await ipOf(web)).toBe(`${p}.10`);
    const r = await runCollect(t.rt, {
      image,
      autoRemove: true,
      network: 'appnet',
      cmd: sh(`wget -qO- http://web/; wget -qO- http://www/; nslookup web | grep -c ${p}.10; cat /etc/resolv.conf | grep nameserver`),
    });
    expect(r.stdout).toBe(`by-name\nby-name\n1\nnameserver ${p}.254\n`);
    await expect(t.rt.containers.run({ image, network: 'appnet', ip: `${p}.10`, cmd: ['true'] })).rejects.toThrow(/already in use/);
    await expect(t.rt.containers.create({ image, network: 'nosuchnet' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.rt.networks.remove('appnet')).rejects.toMatchObject({ code: 'CONFLICT' });
    const eps = t.rt.networks.endpointsOf(net.id);
    expect(eps.map((e) => [e.name, e.endpoint.ip])).toContainEqual(['web', `${p}.10`]);
    await t.rt.containers.remove(web, { force: true });
    await t.rt.networks.remove('appnet');
    expect(existsSync(`/sys/class/net/${net.bridge}`)).toBe(false);
  });

  it('keeps networks apart, and an --internal network has no way out', async () => {
    await t.rt.networks.create('left');
    await t.rt.networks.create('open');
    await t.rt.networks.create('sealed', { internal: true });
    const { id: web } = await t.rt.containers.run({ image, name: 'lefty', network: 'left', cmd: httpd('from-left-web') });
    const leftIp = await ipOf(web);
    // a service of the host: left's gateway is a host address, reached off-link through a default route
    const gateway = t.rt.networks.get('left').gateway!;
    const server: Server = createServer((s) => s.end('host-reached\n'));
    await new Promise<void>((r) => server.listen(0, gateway, r));
    const port = (server.address() as { port: number }).port;
    // busybox nc: this busybox's wget crashes with -T, so `wget -T … || echo blocked` passed whatever happened
    const probes = sh(`ip route; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${leftIp} 80; nc -w 2 ${gateway} ${port} </dev/null; echo probed`);
    const from = async (network: string) => (await runCollect(t.rt, { image, autoRemove: true, network, cmd: probes })).stdout;
    try {
      // the probes reach what they aim at: the web server from its own network, the host through a default route
      const left = await from('left');
      expect(left).toContain('from-left-web');
      expect(left).toContain('host-reached');
      const open = await from('open');
      expect(open).toMatch(/default via/);
      expect(open).toContain('host-reached');
      expect(open).not.toContain('from-left-web'); // another network's container is not reachable
      const sealed = await from('sealed');
      expect(sealed).toContain('probed');
      expect(sealed).not.toContain('host-reached');
      expect(sealed).not.toContain('from-left-web');
      expect(sealed).not.toMatch(/default/);
    } finally {
      server.close();
      await t.rt.containers.remove(web, { force: true });
    }
    expect((await t.rt.networks.prune()).sort()).toEqual(['left', 'open', 'sealed']);
  });

  it('connects and disconnects a running container', async () => {
    await t.rt.networks.create('extra');
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '30'] });
    await t.rt.containers.connect(id, 'extra', { aliases: ['second'] });
    const s = await t.rt.containers.exec(id, { cmd: sh('ip -4 -o addr show eth1 | wc -l') });
    let out = '';
    s.on('stdout', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => s.on('exit', r));
    expect(out).toBe('1\n');
    expect(Object.keys(((await t.rt.containers.inspect(id)).NetworkSettings as { Networks: object }).Networks).sort()).toEqual(['bridge', 'extra']);
    await t.rt.containers.disconnect(id, 'extra');
    expect(Object.keys(((await t.rt.containers.inspect(id)).NetworkSettings as { Networks: object }).Networks)).toEqual(['bridge']);
    await t.rt.containers.remove(id, { force: true });
    await t.rt.networks.remove('extra');
  });

  it('leaks nothing over 200 create/start/remove cycles', async () => {
    const churn = await t.rt.networks.create('churn', { subnet: freeTestSubnet().subnet });
    // veths left on the network's bridge (other agents on the host have their own)
    const links = () => execFileSync('ip', ['-o', 'link', 'show', 'master', churn.bridge!], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    const before = links();
    for (let i = 0; i < 200; i++) {
      const { id } = await t.rt.containers.run({
        image,
        network: 'churn',
        ports: i % 10 === 0 ? [{ containerPort: 80, protocol: 'tcp' }] : undefined,
        cmd: ['true'],
      });
      created.add(`skiff-${id.slice(0, 12)}`);
      await t.rt.containers.wait(id);
      await t.rt.containers.remove(id);
    }
    // the kernel destroys a namespace and its veth pair asynchronously once the container
    // is gone (tens of ms); every one of the 200 must be gone by then
    const deadline = Date.now() + 5000;
    while (links() !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(links()).toBe(before);
    expect(readdirSync('/run/netns').filter((n) => created.has(n))).toEqual([]);
    const net = t.rt.networks.get('churn');
    expect(JSON.parse(await readFile(`${t.root}/networks/${net.id}/ipam.json`, 'utf8')).allocated).toEqual({});
    const table = execFileSync('nft', ['list', 'table', 'ip', (t as unknown as { options: { nftTable: string } }).options.nftTable], { encoding: 'utf8' });
    expect(table).not.toMatch(/dnat to/);
    await t.rt.networks.remove('churn');
  }, 240_000);
});
