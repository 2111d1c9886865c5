import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound, Unavailable } from '../errors.js';
import { linkDelete, netnsCreate, netnsDelete, vethSetup } from '../native/addon.js';
import { writeJsonAtomicUnsynced } from '../store/atomic-file.js';
import type { PortBinding } from '../types.js';
import { ipBatch, nftApply, sysctl } from './commands.js';
import { DnsServer } from './dns-server.js';
import { allocatePorts } from './port-allocator.js';
import { Ipam } from './ipam.js';
import { buildRuleset, deleteRuleset, type PortRule } from './nft-ruleset.js';
import { builtinId, NetworkStore, type NetworkRecord } from './network-store.js';
import { formatCidr, intToIp, ipToInt, overlaps, parseCidr, type Subnet } from './subnet.js';
import { pickSubnet, usedSubnets } from './subnet-pool.js';
import { assertBridgeOwned, markLine, pruneBridgeAddresses, reclaimBridges } from './host-reconcile.js';
import { formatMark, loadRootId, type HostMark } from './host-mark.js';

export interface Endpoint {
  networkId: string;
  networkName: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  ifname: string; // eth0, eth1… inside
  hostVeth: string;
  aliases: string[];
}

export interface ContainerNetworking {
  containerId: string;
  name: string; // container name, for DNS
  netns: string; // /run/netns/skiff-<id12>
  endpoints: Endpoint[];
  ports: PortRule[];
}

export interface NetworkRequest {
  network: string;
  ip?: string;
  aliases?: string[];
  mac?: string;
}

const NETNS_DIR = '/run/netns';
const DEFAULT_BRIDGE = 'skiff0';

/**
 * Bridges, veth pairs, addresses, NAT and published ports for containers.
 *
 * A container on a bridge network gets a named network namespace (as `ip netns add` makes
 * one: a bind mount under /run/netns that outlives the agent), created before its shim
 * starts; the shim joins it. Namespaces and veths are made over rtnetlink by the addon:
 * a start spawns no `ip` process. Everything about a running container's networking is
 * recorded in `networks/endpoints/<id>.json`, from which the nftables table is rebuilt
 * and leftovers of a crash are reconciled at start.
 */
export class NetworkManager {
  private endpoints = new Map<string, ContainerNetworking>();
  private readonly ipams = new Map<string, Ipam>();
  private readonly dns: DnsServer;
  private queue: Promise<unknown> = Promise.resolve();
  /** what the start found on the host that was not as its state says (reported by the agent) */
  readonly hostFindings: string[] = [];
  /** lifecycle events (create, destroy, connect, disconnect) for `events` */
  onEvent: (action: string, network: NetworkRecord, container?: string) => void = () => {};
  /** containers a user may see (a build step's are the runtime's own); set by the runtime */
  visibleContainer: (containerId: string) => boolean = () => true;

  private constructor(
    private readonly root: string,
    private readonly store: NetworkStore,
    private readonly bridgeName: string,
    private readonly mark: HostMark,
    private readonly defaultSubnet?: string,
    private readonly table = 'skiff',
  ) {
    this.dns = new DnsServer((netId, name) => this.resolveName(netId, name));
  }

  static async open(root: string, opts: { bridgeName?: string; defaultSubnet?: string; nftTable?: string } = {}): Promise<NetworkManager> {
    const bridgeName = opts.bridgeName ?? DEFAULT_BRIDGE;
    const mark = { agent: bridgeName, rootId: loadRootId(root) };
    const m = new NetworkManager(root, await NetworkStore.open(root), bridgeName, mark, opts.defaultSubnet, opts.nftTable);
    m.hostFindings.push(...(await reclaimBridges(mark, m.knownBridges())));
    await m.loadEndpoints();
    await m.ensureBuiltins();
    return m;
  }

  // ---- persistence / serialisation -------------------------------------------------

  /** one file per container: a start writes its own few hundred bytes, not everybody's */
  private get endpointsDir(): string {
    return join(this.root, 'networks', 'endpoints');
  }

  private endpointFile(containerId: string): string {
    return join(this.endpointsDir, `${containerId}.json`);
  }

  private async loadEndpoints(): Promise<void> {
    await mkdir(this.endpointsDir, { recursive: true });
    // the single file of earlier versions
    const legacy = join(this.root, 'networks', 'endpoints.json');
    for (const e of await readFile(legacy, 'utf8').then((t) => JSON.parse(t) as ContainerNetworking[], () => [])) {
      await this.saveEndpoint(e);
    }
    await unlink(legacy).catch(() => {});
    this.endpoints = new Map();
    for (const f of await readdir(this.endpointsDir)) {
      if (!f.endsWith('.json')) continue;
      const e = await readFile(join(this.endpointsDir, f), 'utf8').then((t) => JSON.parse(t) as ContainerNetworking, () => undefined);
      if (e?.containerId) this.endpoints.set(e.containerId, e);
    }
  }

  /**
   * Not fsync'ed: after a host crash no container is running, and reconcile() rebuilds
   * everything from what is; an agent crash cannot tear an atomically renamed file.
   */
  private async saveEndpoint(cn: ContainerNetworking): Promise<void> {
    writeJsonAtomicUnsynced(this.endpointFile(cn.containerId), cn);
  }

  private async dropEndpoint(containerId: string): Promise<void> {
    this.endpoints.delete(containerId);
    rmSync(this.endpointFile(containerId), { force: true });
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => {}).then(fn);
    this.queue = run;
    return run;
  }

  private ipam(n: NetworkRecord): Ipam {
    let i = this.ipams.get(n.id);
    if (!i) {
      i = new Ipam(this.store.ipamFile(n), n.subnet!, n.gateway!, n.ipRange);
      this.ipams.set(n.id, i);
    }
    return i;
  }

  // ---- networks ------------------------------------------------------------------------

  private async ensureBuiltins(): Promise<void> {
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.store.find(name)) await this.store.save({ id: builtinId(name), name, driver, internal: false, labels: {}, created: new Date().toISOString(), builtin: true });
    }
  }

  /** bridge devices of the store's networks */
  private knownBridges(): Set<string> {
    return new Set(this.store.all().flatMap((n) => (n.bridge ? [n.bridge] : [])));
  }

  private takenSubnets(): string[] {
    return this.store.all().flatMap((n) => (n.subnet ? [n.subnet] : []));
  }

  /** The default `bridge` network exists once any container asks for it. */
  private async defaultBridge(): Promise<NetworkRecord> {
    const existing = this.store.find('bridge');
    if (existing) {
      await this.ensureBridgeDevice(existing);
      return existing;
    }
    return this.createLocked('bridge', { subnet: this.defaultSubnet, isDefault: true, bridge: this.bridgeName, id: builtinId('bridge') });
  }

  create(name: string, opts: { subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; labels?: Record<string, string> } = {}): Promise<NetworkRecord> {
    return this.locked(async () => {
      if ((['bridge', 'host', 'none'] as string[]).includes(name)) throw new Conflict(`network with name ${name} already exists`);
      return this.createLocked(name, opts);
    });
  }

  private async createLocked(
    name: string,
    opts: { subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; labels?: Record<string, string>; isDefault?: boolean; bridge?: string; id?: string },
  ): Promise<NetworkRecord> {
    this.store.validateNewName(name);
    let subnet: Subnet;
    if (opts.subnet) {
      subnet = parseCidr(opts.subnet);
      const clash = (await usedSubnets(this.takenSubnets())).find((u) => overlaps(u, subnet));
      if (clash) throw new Conflict(`subnet ${opts.subnet} overlaps with ${formatCidr(clash)}, which is already in use`);
    } else {
      if (opts.gateway || opts.ipRange) throw new InvalidArgument('--gateway and --ip-range need --subnet');
      subnet = await pickSubnet(this.takenSubnets());
    }
    const gateway = opts.gateway ?? intToIp(subnet.base + 1);
    const g = ipToInt(gateway);
    if (g <= subnet.base || g >= subnet.base + 2 ** (32 - subnet.prefix) - 1) throw new InvalidArgument(`gateway ${gateway} is not in subnet ${formatCidr(subnet)}`);
    if (opts.ipRange) {
      const r = parseCidr(opts.ipRange);
      if (r.base < subnet.base || r.base + 2 ** (32 - r.prefix) > subnet.base + 2 ** (32 - subnet.prefix)) throw new InvalidArgument(`ip range ${opts.ipRange} is not inside subnet ${formatCidr(subnet)}`);
    }
    const id = opts.id ?? this.store.newId();
    const rec: NetworkRecord = {
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
    await this.ensureBridgeDevice(rec);
    await this.store.save(rec);
    await this.applyRules();
    this.onEvent('create', rec);
    return rec;
  }

  /** networks whose bridge, sysctls and DNS listener this process has already set up */
  private readonly ensured = new Set<string>();

  private async ensureBridgeDevice(n: NetworkRecord): Promise<void> {
    const exists = existsSync(`/sys/class/net/${n.bridge}`);
    if (exists && this.ensured.has(n.id)) return; // the hot path: nothing to do per container start
    const prefix = n.subnet!.split('/')[1];
    if (exists) assertBridgeOwned(n.bridge!, this.mark, this.knownBridges());
    await ipBatch(
      [
        ...(exists ? [] : [`link add name ${n.bridge} type bridge`]),
        markLine(n.bridge!, this.mark),
        `addr replace ${n.gateway}/${prefix} dev ${n.bridge}`,
        `link set ${n.bridge} up`,
      ],
    );
    // an address of an earlier subnet (older versions re-picked one after a wiped root) would keep its pool taken
    if (exists) for (const a of await pruneBridgeAddresses(n.bridge!, `${n.gateway}/${prefix}`)) this.hostFindings.push(`removed stale address ${a} from bridge ${n.bridge}`);
    await sysctl('net.ipv4.ip_forward', '1');
    // published ports reached through 127.0.0.1 are routed onto the bridge
    await sysctl(`net.ipv4.conf.${n.bridge}.route_localnet`, '1');
    if (!n.isDefault) await this.dns.listen(n.id, n.gateway!).catch(() => {});
    this.ensured.add(n.id);
  }

  remove(idOrName: string): Promise<void> {
    return this.locked(async () => {
      const n = this.store.get(idOrName);
      if (n.builtin || n.isDefault) throw new Conflict(`${n.name} is a pre-defined network and cannot be removed`);
      const users = this.containersOn(n.id);
      if (users.length) throw new Conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.join(', ')})`);
      await this.removeNetworkLocked(n);
    });
  }

  private async removeNetworkLocked(n: NetworkRecord): Promise<void> {
    this.dns.close(n.id);
    this.ensured.delete(n.id);
    if (n.bridge) await ipBatch([`link del ${n.bridge}`], { force: true }).catch(() => {});
    this.ipams.delete(n.id);
    await this.store.delete(n);
    await this.applyRules();
    this.onEvent('destroy', n);
  }

  /** Removes the user-defined networks no container is on (`match` narrows that down); their names. */
  prune(opts: { match?: (n: NetworkRecord) => boolean } = {}): Promise<string[]> {
    return this.locked(async () => {
      const removed: string[] = [];
      for (const n of this.store.all()) {
        if (n.builtin || n.isDefault || this.containersOn(n.id).length) continue;
        if (opts.match && !opts.match(n)) continue;
        await this.removeNetworkLocked(n);
        removed.push(n.name);
      }
      return removed;
    });
  }

  list(): NetworkRecord[] {
    const builtins = ['bridge', 'host', 'none'];
    return this.store.all().sort((a, b) => (builtins.indexOf(b.name) - builtins.indexOf(a.name)) || a.name.localeCompare(b.name));
  }

  get(idOrName: string): NetworkRecord {
    if (idOrName === 'bridge' && !this.store.find('bridge')) {
      return { id: builtinId('bridge'), name: 'bridge', driver: 'bridge', internal: false, labels: {}, created: new Date().toISOString(), isDefault: true, bridge: this.bridgeName };
    }
    return this.store.get(idOrName);
  }

  private containersOn(networkId: string): string[] {
    return [...this.endpoints.values()].filter((e) => e.endpoints.some((p) => p.networkId === networkId)).map((e) => e.containerId);
  }

  /** Docker's network inspect `Containers` map */
  endpointsOf(networkId: string): { containerId: string; name: string; endpoint: Endpoint }[] {
    const out: { containerId: string; name: string; endpoint: Endpoint }[] = [];
    for (const e of this.endpoints.values()) {
      if (!this.visibleContainer(e.containerId)) continue;
      for (const p of e.endpoints) if (p.networkId === networkId) out.push({ containerId: e.containerId, name: e.name, endpoint: p });
    }
    return out;
  }

  networkingOf(containerId: string): ContainerNetworking | undefined {
    return this.endpoints.get(containerId);
  }

  private resolveName(networkId: string, name: string): string | undefined {
    for (const e of this.endpoints.values()) {
      for (const p of e.endpoints) {
        if (p.networkId !== networkId) continue;
        if (e.name === name || p.aliases.includes(name) || e.containerId.slice(0, 12) === name) return p.ip;
      }
    }
    return undefined;
  }

  // ---- containers ----------------------------------------------------------------------

  /**
   * Creates the container's namespace with one interface per network and publishes its
   * ports. Nothing is left behind when any step fails (a taken port included).
   */
  setup(containerId: string, name: string, requests: NetworkRequest[], ports: PortBinding[]): Promise<ContainerNetworking> {
    return this.locked(async () => {
      if (this.endpoints.has(containerId)) await this.teardownLocked(containerId);
      const netnsName = `skiff-${containerId.slice(0, 12)}`;
      const netns = join(NETNS_DIR, netnsName);
      const cn: ContainerNetworking = { containerId, name, netns, endpoints: [], ports: [] };
      this.endpoints.set(containerId, cn);
      try {
        await netnsCreate(netns);
        for (const req of requests) await this.addEndpoint(cn, req);
        cn.ports = await allocatePorts(this.portsTakenBesides(containerId), cn.endpoints[0], ports);
        await this.saveEndpoint(cn);
        if (cn.ports.length) await this.applyRules(); // NAT for the subnet is already in place
        return cn;
      } catch (e) {
        await this.teardownLocked(containerId);
        throw e;
      }
    });
  }

  private async addEndpoint(cn: ContainerNetworking, req: NetworkRequest): Promise<Endpoint> {
    const n = req.network === 'bridge' ? await this.defaultBridge() : this.store.get(req.network);
    if (n.driver !== 'bridge') throw new InvalidArgument(`container cannot be connected to network ${n.name}: use --network ${n.name} alone`);
    if (cn.endpoints.some((p) => p.networkId === n.id)) throw new Conflict(`container ${cn.name} is already connected to network ${n.name}`);
    if (n.isDefault && req.aliases?.length) throw new InvalidArgument('network-scoped aliases are only supported for user-defined networks');
    if (n.isDefault && req.ip) throw new InvalidArgument('user specified IP address is supported only on user-defined networks');
    await this.ensureBridgeDevice(n);
    const ip = await this.ipam(n).allocate(cn.containerId, req.ip);
    const ifname = `eth${cn.endpoints.length}`;
    const hostVeth = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    const mac = req.mac ?? macFor(ip);
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new InvalidArgument(`invalid MAC address: ${mac}`);
    const prefix = Number(n.subnet!.split('/')[1]);
    const ep: Endpoint = { networkId: n.id, networkName: n.name, ip, prefix, gateway: n.gateway!, mac, ifname, hostVeth, aliases: req.aliases ?? [] };
    cn.endpoints.push(ep);
    // the first non-internal network carries the default route; internal networks have no way out
    const defaultRoute = !n.internal && !cn.endpoints.slice(0, -1).some((p) => !this.store.find(p.networkId)?.internal);
    await vethSetup({
      netns: cn.netns, host: hostVeth, peer: ifname, bridge: n.bridge!, mac: Buffer.from(mac.replaceAll(':', ''), 'hex'),
      address: ip, prefix, gateway: defaultRoute ? n.gateway : undefined,
    }).catch((e: Error) => {
      throw new Unavailable(`connecting to network ${n.name}: ${e.message}`);
    });
    return ep;
  }

  /** `network connect` for a running container */
  connect(containerId: string, req: NetworkRequest): Promise<Endpoint> {
    return this.locked(async () => {
      const cn = this.endpoints.get(containerId);
      if (!cn) throw new Conflict('container is not running on a bridge network: start it on one first');
      try {
        const ep = await this.addEndpoint(cn, req);
        await this.saveEndpoint(cn);
        return ep;
      } catch (e) {
        const n = this.store.find(req.network);
        const last = cn.endpoints.at(-1);
        if (n && last?.networkId === n.id) {
          cn.endpoints.pop();
          await linkDelete(last.hostVeth).catch(() => {});
          await this.ipam(n).release(containerId);
        }
        throw e;
      }
    });
  }

  disconnect(containerId: string, network: string): Promise<void> {
    return this.locked(async () => {
      const cn = this.endpoints.get(containerId);
      const n = this.store.get(network);
      const ep = cn?.endpoints.find((p) => p.networkId === n.id);
      if (!cn || !ep) throw new NotFound(`container is not connected to network ${n.name}`);
      await linkDelete(ep.hostVeth).catch(() => {});
      cn.endpoints = cn.endpoints.filter((p) => p !== ep);
      await this.ipam(n).release(containerId);
      await this.saveEndpoint(cn);
    });
  }

  teardown(containerId: string): Promise<void> {
    return this.locked(() => this.teardownLocked(containerId));
  }

  private async teardownLocked(containerId: string): Promise<void> {
    const cn = this.endpoints.get(containerId);
    const netns = join(NETNS_DIR, `skiff-${containerId.slice(0, 12)}`);
    // The kernel removes a namespace once its last user is gone, and its veths (host
    // ends included) with it. Deleting each veth here would instead wait out an RCU grace
    // period per link. Only a veth whose namespace is already gone is deleted by name.
    const hadNetns = existsSync(netns);
    if (hadNetns) await netnsDelete(netns).catch(() => {});
    for (const ep of cn?.endpoints ?? []) {
      if (!hadNetns && existsSync(`/sys/class/net/${ep.hostVeth}`)) await linkDelete(ep.hostVeth).catch(() => {});
      const n = this.store.find(ep.networkId);
      if (n) await this.ipam(n).release(containerId);
    }
    await this.dropEndpoint(containerId);
    if (cn?.ports.length) await this.applyRules();
  }

  /**
   * Agent start: drop namespaces, addresses and rules of containers that are not running.
   * Only namespaces of this runtime's own containers (`known`) are touched: another agent
   * or a test runtime on the same host keeps its own.
   */
  reconcile(running: Set<string>, known: Set<string>): Promise<void> {
    return this.locked(async () => {
      for (const id of [...this.endpoints.keys()]) if (!running.has(id)) await this.teardownLocked(id);
      const nsNames = new Set([...this.endpoints.values()].map((e) => e.netns.split('/').pop()));
      const knownNs = new Set([...known].map((id) => `skiff-${id.slice(0, 12)}`));
      for (const ns of await readdir(NETNS_DIR).catch(() => [] as string[])) {
        if (knownNs.has(ns) && !nsNames.has(ns)) await netnsDelete(join(NETNS_DIR, ns)).catch(() => {});
      }
      for (const n of this.store.all()) {
        if (n.driver !== 'bridge') continue;
        await this.ensureBridgeDevice(n).catch(() => {});
        await this.ipam(n).reconcile(running);
      }
      await this.applyRules();
    });
  }

  // ---- ports -----------------------------------------------------------------------------

  /** `proto/port` of every published port but `containerId`'s */
  private portsTakenBesides(containerId: string): Set<string> {
    const taken = new Set<string>();
    for (const e of this.endpoints.values()) {
      if (e.containerId === containerId) continue;
      for (const p of e.ports) taken.add(`${p.protocol}/${p.hostPort}`);
    }
    return taken;
  }

  private async applyRules(): Promise<void> {
    const ports = [...this.endpoints.values()].flatMap((e) => e.ports);
    const bridges = this.store.all().filter((n) => n.driver === 'bridge');
    if (!bridges.length && !ports.length) {
      await nftApply(deleteRuleset(this.table)).catch(() => {});
      return;
    }
    await nftApply(buildRuleset(bridges, ports, this.table, formatMark(this.mark)));
  }

  /** Removes everything this manager created on the host (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.locked(async () => {
      for (const id of [...this.endpoints.keys()]) await this.teardownLocked(id);
      for (const n of this.store.all()) if (n.driver === 'bridge') await this.removeNetworkLocked(n);
      await nftApply(deleteRuleset(this.table)).catch(() => {});
    });
  }

  /**
   * `skiff daemon --cleanup`: the host objects go, the networks stay in the store (the next
   * start makes their bridges again), and marked bridges no network uses go too. Returns
   * what was removed.
   */
  removeHostObjects(): Promise<string[]> {
    return this.locked(async () => {
      for (const id of [...this.endpoints.keys()]) await this.teardownLocked(id);
      const removed: string[] = [];
      for (const n of this.store.all()) {
        if (!n.bridge || !existsSync(`/sys/class/net/${n.bridge}`)) continue;
        this.dns.close(n.id);
        this.ensured.delete(n.id);
        await ipBatch([`link del ${n.bridge}`]);
        removed.push(`removed bridge ${n.bridge} (network ${n.name})`);
      }
      removed.push(...(await reclaimBridges(this.mark, this.knownBridges(), { removeUnknown: true })));
      await nftApply(deleteRuleset(this.table)).then(
        () => removed.push(`removed nft table ip ${this.table}`),
        (e: Error) => removed.push(`nft table ip ${this.table}: ${e.message}`),
      );
      return removed;
    });
  }

  close(): void {
    this.dns.close();
  }
}

/** Docker's MAC scheme: 02:42 followed by the IPv4 address */
function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}
