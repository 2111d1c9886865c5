import type { ContainerNetworking, Endpoint } from './endpoint-table.js';

/** whether a network's names are served by the embedded DNS (the default bridge's are not, as in Docker) */
export type ServesNames = (networkId: string) => boolean;

/**
 * The container an address belongs to. Subnets of one runtime never overlap, so an
 * address names one endpoint; should they ever, the one on the network asked wins.
 */
export function askerOf(all: Iterable<ContainerNetworking>, ip: string, viaNetworkId: string): ContainerNetworking | undefined {
  let found: ContainerNetworking | undefined;
  for (const cn of all) {
    for (const p of cn.endpoints) {
      if (p.ip !== ip) continue;
      if (p.networkId === viaNetworkId) return cn;
      found ??= cn;
    }
  }
  return found;
}

/** DNS names are case-insensitive; `name` comes lower-cased */
const matches = (cn: ContainerNetworking, p: Endpoint, name: string) =>
  cn.name.toLowerCase() === name || p.aliases.some((a) => a.toLowerCase() === name) || cn.containerId.slice(0, 12) === name;

/** every address `name` (container name, alias or short id) has on one network: several for a shared alias */
function addressesOn(all: ContainerNetworking[], networkId: string, name: string): string[] {
  const out: string[] = [];
  for (const cn of all) {
    for (const p of cn.endpoints) if (p.networkId === networkId && matches(cn, p, name)) out.push(p.ip);
  }
  return out;
}

/**
 * What the embedded DNS answers to the container at `askerIp`, Docker's resolver rules:
 * names on every network the asker is attached to (in its attachment order, the first
 * network that knows the name wins), never names of a network it is not on. A name
 * ending in `.<network>` asks only that network. An address no container has (the host,
 * a stranger) gets no local answers at all.
 */
export function resolveForAsker(all: ContainerNetworking[], askerIp: string, viaNetworkId: string, name: string, serves: ServesNames): string[] {
  const asker = askerOf(all, askerIp, viaNetworkId);
  if (!asker) return [];
  const networks = asker.endpoints.filter((p) => serves(p.networkId));
  for (const p of networks) {
    const suffix = `.${p.networkName.toLowerCase()}`;
    if (name.endsWith(suffix) && name.length > suffix.length) {
      const found = addressesOn(all, p.networkId, name.slice(0, -suffix.length));
      if (found.length) return found;
    }
  }
  for (const p of networks) {
    const found = addressesOn(all, p.networkId, name);
    if (found.length) return found;
  }
  return [];
}

/** `4.3.2.1.in-addr.arpa` as `1.2.3.4`; undefined for any other name */
export function reverseName(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return m.slice(1).reverse().map(Number).join('.');
}

/**
 * A reverse lookup as Docker's resolver answers it: `ip` of a container on a network the
 * asker is attached to (and that has names) is `<container>.<network>`; anything else is
 * not known here (forwarded, as any name the networks do not have).
 */
export function reverseForAsker(all: ContainerNetworking[], askerIp: string, viaNetworkId: string, ip: string, serves: ServesNames): string | undefined {
  const asker = askerOf(all, askerIp, viaNetworkId);
  if (!asker) return undefined;
  for (const mine of asker.endpoints) {
    if (!serves(mine.networkId)) continue;
    for (const cn of all) {
      const p = cn.endpoints.find((e) => e.networkId === mine.networkId && e.ip === ip);
      if (p) return `${cn.name}.${p.networkName}`;
    }
  }
  return undefined;
}
