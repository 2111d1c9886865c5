import { Conflict, InvalidArgument } from '../errors.js';
import type { NetworkRecord } from './network-store.js';
import { formatCidr, intToIp, ipToInt, overlaps, parseCidr, type Subnet } from './subnet.js';
import { pickSubnet, usedSubnets } from './subnet-pool.js';

export interface BridgeNetworkOptions {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  isDefault?: boolean;
  bridge?: string;
  id?: string;
}

/**
 * A new bridge network's record: its subnet as asked (refused when it overlaps one in use
 * on the host or by another network) or the next free one, a gateway and IP range checked
 * to lie inside it. `taken`: the subnets of the networks already stored.
 */
export async function bridgeNetworkRecord(name: string, opts: BridgeNetworkOptions, taken: string[], newId: () => string): Promise<NetworkRecord> {
  let subnet: Subnet;
  if (opts.subnet) {
    subnet = parseCidr(opts.subnet);
    const clash = (await usedSubnets(taken)).find((u) => overlaps(u, subnet));
    if (clash) throw new Conflict(`subnet ${opts.subnet} overlaps with ${formatCidr(clash)}, which is already in use`);
  } else {
    if (opts.gateway || opts.ipRange) throw new InvalidArgument('--gateway and --ip-range need --subnet');
    subnet = await pickSubnet(taken);
  }
  const gateway = opts.gateway ?? intToIp(subnet.base + 1);
  const g = ipToInt(gateway);
  if (g <= subnet.base || g >= subnet.base + 2 ** (32 - subnet.prefix) - 1)
    throw new InvalidArgument(`gateway ${gateway} is not in subnet ${formatCidr(subnet)}`);
  if (opts.ipRange) {
    const r = parseCidr(opts.ipRange);
    if (r.base < subnet.base || r.base + 2 ** (32 - r.prefix) > subnet.base + 2 ** (32 - subnet.prefix))
      throw new InvalidArgument(`ip range ${opts.ipRange} is not inside subnet ${formatCidr(subnet)}`);
  }
  const id = opts.id ?? newId();
  return {
    id,
    name,
    driver: 'bridge',
    subnet: formatCidr(subnet),
    gateway,
    ipRange: opts.ipRange,
    internal: !!opts.internal,
    labels: opts.labels ?? {},
    created: new Date().toISOString(),
    bridge: opts.bridge ?? `skbr-${id.slice(0, 10)}`,
    isDefault: opts.isDefault,
  };
}

/** Docker's MAC scheme: 02:42 followed by the IPv4 address */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}
