import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execOutput, useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();
const nftTable = () => (env.t as unknown as { options: { nftTable: string; bridgeName: string } }).options;
const sh = (s: string) => ['sh', '-c', s];

const execOut = (id: string, cmd: string[]) => execOutput(env.t.rt, id, cmd);

/** packets the loopback guard of this runtime's nft table dropped for their 127.0.0.0/8 destination */
function guardDrops(): number {
  const table = execFileSync('nft', ['list', 'table', 'ip', nftTable().nftTable], { encoding: 'utf8' });
  return Number(/chain loopback_guard[\s\S]*?ip daddr 127\.0\.0\.0\/8 counter packets (\d+)/.exec(table)?.[1] ?? NaN);
}

function listenLoopback(text: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(text));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as { port: number }).port })));
}

describe('the host loopback behind the bridge (CVE-2020-8558)', () => {
  it('drops frames a container addresses to 127.0.0.1 through the gateway, and keeps 127.0.0.1 -> published port working', async () => {
    const { t, image } = env;
    const { server, port } = await listenLoopback('host-loopback-only\n');
    const published = 20000 + Math.floor(Math.random() * 10000);
    const { id: web } = await t.rt.containers.run({
      image,
      ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: published }],
      cmd: sh('mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www'),
    });
    const { id: attacker } = await t.rt.containers.run({ image, cmd: ['sleep', '120'] });
    try {
      // the host itself still reaches the published port through 127.0.0.1 (route_localnet + masquerade)
      const viaLoopback = await waitFor(async () => (await fetch(`http://127.0.0.1:${published}/`).catch(() => undefined))?.text(), 10_000, 'published port');
      expect(viaLoopback).toBe('published\n');

      // The attacker's netns sends 127.0.0.1 out of eth0 to the gateway's MAC and accepts replies
      // from 127.0.0.1 there. A container with CAP_NET_RAW (a default capability) can send and
      // read such frames itself; the routing set-up just lets busybox wget speak TCP over them.
      const gateway = ((await t.rt.containers.inspect(attacker)).NetworkSettings as { Gateway: string }).Gateway;
      const ns = `skiff-${attacker.slice(0, 12)}`;
      execFileSync('ip', ['-n', ns, '-batch', '-'], {
        input: ['addr del 127.0.0.1/8 dev lo', `route add 127.0.0.1/32 via ${gateway} dev eth0`].join('\n') + '\n',
      });
      execFileSync('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-q',
        '-w',
        'net.ipv4.conf.eth0.route_localnet=1',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.eth0.rp_filter=0',
      ]);
      expect(await execOut(attacker, ['ip', 'route', 'get', '127.0.0.1'])).toContain(`via ${gateway} dev eth0`);

      // busybox nc speaks the HTTP request (this image's wget crashes with -T)
      const probe = (p: number) => execOut(attacker, sh(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 ${p}; true`));
      expect(await probe(port)).not.toContain('host-loopback-only'); // a service bound to the host's loopback only
      expect(await probe(published)).not.toContain('published'); // a port published on 127.0.0.1 only

      // the guard dropped them (so the probes did reach the host), in this runtime's own table
      expect(guardDrops()).toBeGreaterThan(0);
    } finally {
      server.close();
      await t.rt.containers.remove(attacker, { force: true });
      await t.rt.containers.remove(web, { force: true });
    }
  }, 60_000);

  it('drops a crafted frame to 127.0.0.1 from a container with only the default capabilities (CAP_NET_RAW)', async () => {
    const { t, image } = env;
    const dir = await mkdtemp(join(tmpdir(), 'skiff-rawframe-'));
    const udp = createSocket('udp4');
    const received: string[] = [];
    udp.on('message', (m) => received.push(m.toString()));
    const port = await new Promise<number>((r) => udp.bind(0, '127.0.0.1', () => r(udp.address().port)));
    try {
      execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'raw-udp-frame'), join(__dirname, 'programs', 'raw-udp-frame.c')]);
      const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '60'], mounts: [{ type: 'bind', source: dir, target: '/probe', readOnly: true }] });
      try {
        const ip = ((await t.rt.containers.inspect(id)).NetworkSettings as { IPAddress: string }).IPAddress;
        const gatewayMac = readFileSync(`/sys/class/net/${nftTable().bridgeName}/address`, 'utf8').trim();
        const before = guardDrops();
        for (let i = 0; i < 3; i++) {
          expect(await execOut(id, ['/probe/raw-udp-frame', 'eth0', gatewayMac, ip, '127.0.0.1', String(port), `reached-${i}`])).toBe('sent\n');
        }
        await new Promise((r) => setTimeout(r, 300));
        expect(received).toEqual([]); // before the guard, the host's loopback-only socket got them
        expect(guardDrops() - before).toBeGreaterThanOrEqual(3);
      } finally {
        await t.rt.containers.remove(id, { force: true });
      }
    } finally {
      udp.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
