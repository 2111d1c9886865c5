import { beforeAll, describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { execOutput, useTestRuntime } from './helpers.js';

/**
 * The embedded DNS of a container on several networks (issue 24): Docker's resolver
 * answers for every network the asker is attached to and for none other, whichever
 * resolver address it asks. The reverse-proxy layout: `proxy` on front and back, `app`
 * on back only, `outsider` on front only.
 */

const env = useTestRuntime();
const front = freeTestSubnet();
const back = freeTestSubnet();
const sh = (s: string) => ['sh', '-c', s];
const httpd = (text: string) => sh(`mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`);
let appIp = '';

beforeAll(async () => {
  await env.t.rt.networks.create('front', { subnet: front.subnet, gateway: front.gateway });
  await env.t.rt.networks.create('back', { subnet: back.subnet, gateway: back.gateway });
  const { id } = await env.t.rt.containers.run({ image: env.image, name: 'app', network: 'back', networkAliases: ['api'], cmd: httpd('from-app') });
  const nets = (await env.t.rt.containers.inspect(id)).NetworkSettings.Networks;
  appIp = nets.back!.IPAddress;
}, 120_000);

const execOut = (id: string, script: string) => execOutput(env.t.rt, id, sh(script));

/** "yes" when `name` resolves to the app's address through `server` (resolv.conf's when empty) */
const resolves = (name: string, server = '') => `if nslookup ${name} ${server} 2>&1 | grep -q "Address:* ${appIp}$"; then echo yes; else echo no; fi`;

/** a container created on `first`, connected to the rest before it starts */
async function startOn(name: string, networks: string[]): Promise<string> {
  const { id } = await env.t.rt.containers.create({ image: env.image, name, network: networks[0], cmd: ['sleep', '300'] });
  for (const n of networks.slice(1)) await env.t.rt.containers.connect(id, n);
  await env.t.rt.containers.start(id);
  return id;
}

describe('embedded DNS on several networks', () => {
  it.each([
    ['front first', ['front', 'back']],
    ['back first', ['back', 'front']],
  ])('a proxy on front and back resolves the app on back (%s), through either resolver', async (_, order) => {
    const id = await startOn(`proxy-${order[0]}`, order);
    const out = await execOut(
      id,
      [resolves('app'), resolves('api'), resolves('app.back'), resolves('app', front.gateway), resolves('app', back.gateway), 'wget -qO- http://app/'].join(
        '; ',
      ),
    );
    expect(out).toBe('yes\nyes\nyes\nyes\nyes\nfrom-app\n');
    await env.t.rt.containers.remove(id, { force: true });
  });

  it('never answers names of a network the asker is not on, whichever resolver it asks', async () => {
    const id = await startOn('outsider', ['front']);
    // the back network's resolver is reachable from front (it is a host address), so ask it directly too
    const probes = ['app', 'api', 'app.back'];
    for (let i = 0; i < 2; i++) {
      const out = await execOut(
        id,
        [...probes.map((n) => resolves(n)), ...probes.map((n) => resolves(n, back.gateway)), resolves('app', front.gateway)].join('; '),
      );
      expect(out).toBe('no\nno\nno\nno\nno\nno\nno\n');
    }
    await env.t.rt.containers.remove(id, { force: true });
  }, 120_000);

  it('follows network connect and disconnect of a running container', async () => {
    const id = await startOn('mover', ['front']);
    expect(await execOut(id, resolves('app'))).toBe('no\n');
    await env.t.rt.containers.connect(id, 'back');
    expect(await execOut(id, resolves('app'))).toBe('yes\n');
    await env.t.rt.containers.disconnect(id, 'back');
    expect(await execOut(id, `${resolves('app')}; ${resolves('app', back.gateway)}`)).toBe('no\nno\n');
    // leaving the network resolv.conf names: it now names the resolver of one still joined
    await env.t.rt.containers.connect(id, 'back');
    await env.t.rt.containers.disconnect(id, 'front');
    expect(await execOut(id, `grep nameserver /etc/resolv.conf; ${resolves('app')}`)).toBe(`nameserver ${back.gateway}\nyes\n`);
    await env.t.rt.containers.remove(id, { force: true });
  });

  it('a container on the default bridge and a user network resolves only user-network names', async () => {
    const { id: onBridge } = await env.t.rt.containers.run({ image: env.image, name: 'bridged', cmd: ['sleep', '300'] });
    const id = await startOn('both', ['bridge', 'back']);
    expect(
      await execOut(id, `grep nameserver /etc/resolv.conf; ${resolves('app')}; nslookup bridged >/dev/null 2>&1 && echo bridged-named || echo no-bridge-names`),
    ).toBe(`nameserver ${back.gateway}\nyes\nno-bridge-names\n`);
    await env.t.rt.containers.remove(id, { force: true });
    await env.t.rt.containers.remove(onBridge, { force: true });
  });

  it('answers reverse lookups (PTR) of addresses on the asker networks with <container>.<network>, as Docker', async () => {
    const { id: onBridge } = await env.t.rt.containers.run({ image: env.image, name: 'ptr-bridged', cmd: ['sleep', '300'] });
    const bridgeIp = (await env.t.rt.containers.inspect(onBridge)).NetworkSettings.Networks.bridge!.IPAddress;
    const proxy = await startOn('ptr-proxy', ['front', 'back']);
    const outsider = await startOn('ptr-outsider', ['front']);
    const ptr = (ip: string, server = '') => `nslookup ${ip} ${server} 2>&1 | grep -o "name = [^ ]*" || echo unknown`;
    // busybox nslookup of an address asks the PTR of its in-addr.arpa name
    expect(await execOut(proxy, `${ptr(appIp)}; ${ptr(appIp, front.gateway)}; ${ptr(appIp, back.gateway)}`)).toBe(
      'name = app.back\nname = app.back\nname = app.back\n',
    );
    const proxyFront = (await env.t.rt.containers.inspect(proxy)).NetworkSettings.Networks.front!.IPAddress;
    expect(await execOut(outsider, ptr(proxyFront))).toBe('name = ptr-proxy.front\n');
    // not on back: its addresses are not named for it, whichever resolver it asks; nor the default bridge's
    for (const script of [ptr(appIp), ptr(appIp, back.gateway), ptr(bridgeIp)]) expect(await execOut(outsider, script)).not.toMatch(/app|ptr-bridged/);
    for (const id of [proxy, outsider, onBridge]) await env.t.rt.containers.remove(id, { force: true });
  }, 120_000);
});
