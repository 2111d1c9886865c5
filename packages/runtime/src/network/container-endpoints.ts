import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound, Unavailable } from '../errors.js';
import { linkDelete, netnsCreate, netnsDelete, vethSetup } from '../native/addon.js';
import type { PortBinding } from '../types.js';
import type { BridgeDevices } from './bridge-devices.js';
import type { ContainerNetworking, Endpoint, EndpointTable, NetworkRequest } from './endpoint-table.js';
import type { Ipam } from './ipam.js';
import { macFor } from './network-config.js';
import type { NetworkRecord, NetworkStore } from './network-store.js';
import { allocatePorts } from './port-allocator.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'network' });

export const NETNS_DIR = '/run/netns';

/** the named namespace of a container (as `ip netns add` makes one) */
export const netnsOf = (containerId: string) => join(NETNS_DIR, `skiff-${containerId.slice(0, 12)}`);

/** what the container side needs of the network manager */
export interface EndpointDeps {
  store: NetworkStore;
  endpoints: EndpointTable;
  bridges: BridgeDevices;
  ipam(n: NetworkRecord): Ipam;
  /** the default `bridge` network, made at first use */
  defaultBridge(): Promise<NetworkRecord>;
  applyRules(): Promise<void>;
}

/**
 * A container's side of networking: its namespace, one veth and address per network,
 * published ports; connect, disconnect and teardown. The callers hold the network
 * manager's lock.
 */
export class ContainerEndpoints {
  constructor(private readonly d: EndpointDeps) {}

  /**
   * Creates the container's namespace with one interface per network and publishes its
   * ports. Nothing is left behind when any step fails (a taken port included).
   */
  async setup(containerId: string, name: string, requests: NetworkRequest[], ports: PortBinding[]): Promise<ContainerNetworking> {
    const { endpoints } = this.d;
    if (endpoints.has(containerId)) await this.teardown(containerId);
    const netns = netnsOf(containerId);
    const cn: ContainerNetworking = { containerId, name, netns, endpoints: [], ports: [] };
    endpoints.set(cn);
    try {
      await netnsCreate(netns);
      for (const req of requests) await this.addEndpoint(cn, req);
      cn.ports = await allocatePorts(endpoints.portsTakenBesides(containerId), cn.endpoints[0], ports);
      await endpoints.save(cn);
      if (cn.ports.length) await this.d.applyRules(); // NAT for the subnet is already in place
      return cn;
    } catch (e) {
      await this.teardown(containerId);
      throw e;
    }
  }

  private async addEndpoint(cn: ContainerNetworking, req: NetworkRequest): Promise<Endpoint> {
    const { store } = this.d;
    const n = req.network === 'bridge' ? await this.d.defaultBridge() : store.get(req.network);
    if (n.driver !== 'bridge') throw new InvalidArgument(`container cannot be connected to network ${n.name}: use --network ${n.name} alone`);
    if (cn.endpoints.some((p) => p.networkId === n.id)) throw new Conflict(`container ${cn.name} is already connected to network ${n.name}`);
    if (n.isDefault && req.aliases?.length) throw new InvalidArgument('network-scoped aliases are only supported for user-defined networks');
    if (n.isDefault && req.ip) throw new InvalidArgument('user specified IP address is supported only on user-defined networks');
    await this.d.bridges.ensure(n);
    const ip = await this.d.ipam(n).allocate(cn.containerId, req.ip);
    const ifname = `eth${cn.endpoints.length}`;
    const hostVeth = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    const mac = req.mac ?? macFor(ip);
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new InvalidArgument(`invalid MAC address: ${mac}`);
    const prefix = Number(n.subnet!.split('/')[1]);
    const ep: Endpoint = { networkId: n.id, networkName: n.name, ip, prefix, gateway: n.gateway!, mac, ifname, hostVeth, aliases: req.aliases ?? [] };
    cn.endpoints.push(ep);
    // the first non-internal network carries the default route; internal networks have no way out
    const defaultRoute = !n.internal && !cn.endpoints.slice(0, -1).some((p) => !store.find(p.networkId)?.internal);
    await vethSetup({
      netns: cn.netns,
      host: hostVeth,
      peer: ifname,
      bridge: n.bridge!,
      mac: Buffer.from(mac.replaceAll(':', ''), 'hex'),
      address: ip,
      prefix,
      gateway: defaultRoute ? n.gateway : undefined,
    }).catch((e: Error) => {
      throw new Unavailable(`connecting to network ${n.name}: ${e.message}`);
    });
    return ep;
  }

  /** `network connect` for a running container */
  async connect(containerId: string, req: NetworkRequest): Promise<Endpoint> {
    const cn = this.d.endpoints.get(containerId);
    if (!cn) throw new Conflict('container is not running on a bridge network: start it on one first');
    try {
      const ep = await this.addEndpoint(cn, req);
      await this.d.endpoints.save(cn);
      return ep;
    } catch (e) {
      const n = this.d.store.find(req.network);
      const last = cn.endpoints.at(-1);
      if (n && last?.networkId === n.id) {
        cn.endpoints.pop();
        await linkDelete(last.hostVeth).catch(
          logFailure(log, 'warn', 'deleting the veth of a failed connect', { container: containerId, network: n.id, veth: last.hostVeth }),
        );
        await this.d.ipam(n).release(containerId);
      }
      throw e;
    }
  }

  async disconnect(containerId: string, network: string): Promise<void> {
    const cn = this.d.endpoints.get(containerId);
    const n = this.d.store.get(network);
    const ep = cn?.endpoints.find((p) => p.networkId === n.id);
    if (!cn || !ep) throw new NotFound(`container is not connected to network ${n.name}`);
    await linkDelete(ep.hostVeth).catch(
      logFailure(log, 'warn', 'deleting the veth of a disconnect', { container: containerId, network: n.id, veth: ep.hostVeth }),
    );
    cn.endpoints = cn.endpoints.filter((p) => p !== ep);
    await this.d.ipam(n).release(containerId);
    await this.d.endpoints.save(cn);
  }

  async teardown(containerId: string): Promise<void> {
    const cn = this.d.endpoints.get(containerId);
    const netns = netnsOf(containerId);
    // The kernel removes a namespace once its last user is gone, and its veths (host
    // ends included) with it. Deleting each veth here would instead wait out an RCU grace
    // period per link. Only a veth whose namespace is already gone is deleted by name.
    const hadNetns = existsSync(netns);
    if (hadNetns) await netnsDelete(netns).catch(logFailure(log, 'warn', 'deleting the network namespace of a container', { container: containerId, netns }));
    for (const ep of cn?.endpoints ?? []) {
      if (!hadNetns && existsSync(`/sys/class/net/${ep.hostVeth}`))
        await linkDelete(ep.hostVeth).catch(
          logFailure(log, 'warn', 'deleting the veth of a container', { container: containerId, network: ep.networkId, veth: ep.hostVeth }),
        );
      const n = this.d.store.find(ep.networkId);
      if (n) await this.d.ipam(n).release(containerId);
    }
    await this.d.endpoints.drop(containerId);
    if (cn?.ports.length) await this.d.applyRules();
  }
}
