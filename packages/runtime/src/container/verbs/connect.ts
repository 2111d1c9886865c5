import { Conflict, InvalidArgument, NotFound } from '../../errors.js';
import { type ContainerContext, isUp } from '../context.js';
import { embeddedDnsOf, updateResolvConf } from '../shim/etc-files.js';
import type { StoredContainer } from '../store/container-store.js';
import { networkMode } from '../store/record-helpers.js';
import type { NetworkRecord } from '../../network/network-store.js';

/** Docker's `network connect|disconnect` event: the network is the actor, the container an attribute */
function networkEvent(ctx: ContainerContext, c: StoredContainer, action: 'connect' | 'disconnect', n: NetworkRecord): void {
  ctx.summaries.invalidate(c);
  ctx.opts.networks.onEvent(action, n, c.record.id);
}

/** `network connect`: joins now if running, and on every later start */
export async function connect(ctx: ContainerContext, idOrName: string, network: string, opts: { ip?: string; aliases?: string[] } = {}): Promise<void> {
  const c = ctx.store.get(idOrName);
  const networks = ctx.opts.networks;
  const n = networks.get(network);
  if (n.driver !== 'bridge') throw new InvalidArgument(`container cannot be connected to the ${n.name} network`);
  if (networkMode(c.record.spec.network) !== 'bridge')
    throw new Conflict(`container ${c.record.name} uses the ${c.record.spec.network} network mode and cannot join other networks`);
  if (c.record.networks.some((r) => networks.get(r.network).id === n.id))
    throw new Conflict(`endpoint with name ${c.record.name} already exists in network ${n.name}`);
  const req = { network: n.name, ip: opts.ip, aliases: opts.aliases };
  if (isUp(c)) {
    await networks.connect(c.record.id, req);
    refreshResolvConf(ctx, c);
  }
  c.record.networks.push(req);
  await ctx.store.saveRecord(c);
  // dockerd's connect event is the endpoint's: a stopped container gets it when it starts
  if (isUp(c)) networkEvent(ctx, c, 'connect', n);
  else ctx.summaries.invalidate(c);
}

export async function disconnect(ctx: ContainerContext, idOrName: string, network: string): Promise<void> {
  const c = ctx.store.get(idOrName);
  const networks = ctx.opts.networks;
  const n = networks.get(network);
  const idx = c.record.networks.findIndex((r) => networks.get(r.network).id === n.id);
  if (idx < 0) throw new NotFound(`container ${c.record.name} is not connected to network ${n.name}`);
  if (isUp(c)) {
    await networks.disconnect(c.record.id, n.id);
    refreshResolvConf(ctx, c);
  }
  c.record.networks.splice(idx, 1);
  await ctx.store.saveRecord(c);
  networkEvent(ctx, c, 'disconnect', n);
}

/** the embedded DNS named in resolv.conf follows the networks the container is on now */
function refreshResolvConf(ctx: ContainerContext, c: StoredContainer): void {
  const networks = ctx.opts.networks;
  const dnsServer = embeddedDnsOf(networks.networkingOf(c.record.id), (id) => !!networks.get(id).isDefault);
  updateResolvConf(c.dir, { network: 'bridge', dnsServer, dns: c.record.spec.dns });
}
