import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict } from '../errors.js';
import { netnsDelete } from '../native/addon.js';
import type { PortBinding } from '../types.js';
import { BridgeDevices } from './bridge-devices.js';
import { ContainerEndpoints, NETNS_DIR } from './container-endpoints.js';
import { resolveForAsker } from './dns-names.js';
import { ipBatch, nftApply } from './commands.js';
import { EndpointTable, type ContainerNetworking, type Endpoint, type NetworkRequest } from './endpoint-table.js';
import { Ipam } from './ipam.js';
import { bridgeNetworkRecord, type BridgeNetworkOptions } from './network-config.js';
import { buildRuleset, deleteRuleset } from './nft-ruleset.js';
import { builtinId, NetworkStore, type NetworkRecord } from './network-store.js';
import { reclaimBridges } from './host-reconcile.js';
import { formatMark, loadRootId, type HostMark } from './host-mark.js';
import { logFailure, logger } from '@skiff/logger';
import { afterSettled } from '../settled.js';

const log = logger.child({ component: 'network' });

export type { ContainerNetworking, Endpoint, NetworkRequest };

const DEFAULT_BRIDGE = 'skiff0';

/**
 * Bridges, veth pairs, addresses, NAT and published ports for containers.
 *
 * A container on a bridge network gets a named network namespace (as `ip netns add` makes
 * one: a bind mount under /run/netns that outlives the agent), created before its shim
 * starts; the shim joins it. Namespaces and veths are made over rtnetlink by the addon:
 * a start spawns no `ip` process. Everything about a running container's networking is
 * recorded in `networks/endpoints/<id>.json`, from which the nftables table is rebuilt
 * and leftovers of a crash are reconciled at start. This class holds the lock and the
 * networks; a container's side is container-endpoints.ts.
 */
export class NetworkManager {
  private readonly endpoints: EndpointTable;
  private readonly ipams = new Map<string, Ipam>();
  private readonly bridges: BridgeDevices;
  private readonly containers: ContainerEndpoints;
  private queue: Promise<unknown> = Promise.resolve();
  /** what the start found on the host that was not as its state says (reported by the agent) */
  readonly hostFindings: string[] = [];
  /** lifecycle events (create, destroy, connect, disconnect) for `events` */
  onEvent: (action: string, network: NetworkRecord, container?: string) => void = () => {};
  /** containers a user may see (a build step's are the runtime's own); set by the runtime */
  visibleContainer: (containerId: string) => boolean = () => true;

  private constructor(
    root: string,
    private readonly store: NetworkStore,
    private readonly bridgeName: string,
    private readonly mark: HostMark,
    private readonly defaultSubnet?: string,
    private readonly table = 'skiff',
  ) {
    this.endpoints = new EndpointTable(root);
    this.bridges = new BridgeDevices(
      mark,
      () => this.knownBridges(),
      this.hostFindings,
      (netId, asker, name) => resolveForAsker(this.endpoints.all(), asker, netId, name, (id) => this.servesNames(id)),
    );
    this.containers = new ContainerEndpoints({
      store,
      endpoints: this.endpoints,
      bridges: this.bridges,
      ipam: (n) => this.ipam(n),
      defaultBridge: () => this.defaultBridge(),
      applyRules: () => this.applyRules(),
    });
  }

  /** the embedded DNS answers for user-defined networks only (Docker: the default bridge has no names) */
  private servesNames(networkId: string): boolean {
    const n = this.store.find(networkId);
    return !!n && n.driver === 'bridge' && !n.isDefault;
  }

  static async open(root: string, opts: { bridgeName?: string; defaultSubnet?: string; nftTable?: string } = {}): Promise<NetworkManager> {
    const bridgeName = opts.bridgeName ?? DEFAULT_BRIDGE;
    const mark = { agent: bridgeName, rootId: loadRootId(root) };
    const m = new NetworkManager(root, await NetworkStore.open(root), bridgeName, mark, opts.defaultSubnet, opts.nftTable);
    m.hostFindings.push(...(await reclaimBridges(mark, m.knownBridges())));
    await m.endpoints.load();
    await m.ensureBuiltins();
    return m;
  }

  // ---- lock and address pools ----------------------------------------------------------

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = afterSettled(this.queue).then(fn);
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
    for (const [name, driver] of [
      ['host', 'host'],
      ['none', 'null'],
    ] as const) {
      if (!this.store.find(name))
        await this.store.save({ id: builtinId(name), name, driver, internal: false, labels: {}, created: new Date().toISOString(), builtin: true });
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
      await this.bridges.ensure(existing);
      return existing;
    }
    return this.createLocked('bridge', { subnet: this.defaultSubnet, isDefault: true, bridge: this.bridgeName, id: builtinId('bridge') });
  }

  create(
    name: string,
    opts: { subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; labels?: Record<string, string> } = {},
  ): Promise<NetworkRecord> {
    return this.locked(async () => {
      if ((['bridge', 'host', 'none'] as string[]).includes(name)) throw new Conflict(`network with name ${name} already exists`);
      return this.createLocked(name, opts);
    });
  }

  private async createLocked(name: string, opts: BridgeNetworkOptions): Promise<NetworkRecord> {
    this.store.validateNewName(name);
    const rec = await bridgeNetworkRecord(name, opts, this.takenSubnets(), () => this.store.newId());
    await this.bridges.ensure(rec);
    await this.store.save(rec);
    await this.applyRules();
    this.onEvent('create', rec);
    return rec;
  }

  remove(idOrName: string): Promise<void> {
    return this.locked(async () => {
      const n = this.store.get(idOrName);
      if (n.builtin || n.isDefault) throw new Conflict(`${n.name} is a pre-defined network and cannot be removed`);
      const users = this.endpoints.containersOn(n.id);
      if (users.length) throw new Conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.join(', ')})`);
      await this.removeNetworkLocked(n);
    });
  }

  private async removeNetworkLocked(n: NetworkRecord): Promise<void> {
    this.bridges.forget(n.id);
    // a bridge not made yet (networks get theirs at first use) is not there to delete
    if (n.bridge && existsSync(`/sys/class/net/${n.bridge}`))
      await ipBatch([`link del ${n.bridge}`], { force: true }).catch(
        logFailure(log, 'warn', 'deleting the bridge of a removed network', { network: n.id, bridge: n.bridge }),
      );
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
        if (n.builtin || n.isDefault || this.endpoints.containersOn(n.id).length) continue;
        if (opts.match && !opts.match(n)) continue;
        await this.removeNetworkLocked(n);
        removed.push(n.name);
      }
      return removed;
    });
  }

  list(): NetworkRecord[] {
    const builtins = ['bridge', 'host', 'none'];
    return this.store.all().sort((a, b) => builtins.indexOf(b.name) - builtins.indexOf(a.name) || a.name.localeCompare(b.name));
  }

  get(idOrName: string): NetworkRecord {
    if (idOrName === 'bridge' && !this.store.find('bridge')) {
      return {
        id: builtinId('bridge'),
        name: 'bridge',
        driver: 'bridge',
        internal: false,
        labels: {},
        created: new Date().toISOString(),
        isDefault: true,
        bridge: this.bridgeName,
      };
    }
    return this.store.get(idOrName);
  }

  /** Docker's network inspect `Containers` map */
  endpointsOf(networkId: string): { containerId: string; name: string; endpoint: Endpoint }[] {
    const out: { containerId: string; name: string; endpoint: Endpoint }[] = [];
    for (const e of this.endpoints.all()) {
      if (!this.visibleContainer(e.containerId)) continue;
      for (const p of e.endpoints) if (p.networkId === networkId) out.push({ containerId: e.containerId, name: e.name, endpoint: p });
    }
    return out;
  }

  networkingOf(containerId: string): ContainerNetworking | undefined {
    return this.endpoints.get(containerId);
  }

  // ---- containers (container-endpoints.ts, under the lock) ---------------------------------

  /**
   * Creates the container's namespace with one interface per network and publishes its
   * ports. Nothing is left behind when any step fails (a taken port included).
   */
  setup(containerId: string, name: string, requests: NetworkRequest[], ports: PortBinding[]): Promise<ContainerNetworking> {
    return this.locked(() => this.containers.setup(containerId, name, requests, ports));
  }

  /** `network connect` for a running container */
  connect(containerId: string, req: NetworkRequest): Promise<Endpoint> {
    return this.locked(() => this.containers.connect(containerId, req));
  }

  disconnect(containerId: string, network: string): Promise<void> {
    return this.locked(() => this.containers.disconnect(containerId, network));
  }

  teardown(containerId: string): Promise<void> {
    return this.locked(() => this.containers.teardown(containerId));
  }

  /**
   * Agent start: drop namespaces, addresses and rules of containers that are not running.
   * Only namespaces of this runtime's own containers (`known`) are touched: another agent
   * or a test runtime on the same host keeps its own.
   */
  reconcile(running: Set<string>, known: Set<string>): Promise<void> {
    return this.locked(async () => {
      for (const id of this.endpoints.containerIds()) if (!running.has(id)) await this.containers.teardown(id);
      const nsNames = new Set(this.endpoints.all().map((e) => e.netns.split('/').pop()));
      const knownNs = new Set([...known].map((id) => `skiff-${id.slice(0, 12)}`));
      for (const ns of await readdir(NETNS_DIR).catch(() => [] as string[])) {
        if (knownNs.has(ns) && !nsNames.has(ns))
          await netnsDelete(join(NETNS_DIR, ns)).catch(logFailure(log, 'warn', 'deleting a stale network namespace', { netns: ns }));
      }
      for (const n of this.store.all()) {
        if (n.driver !== 'bridge') continue;
        await this.bridges.ensure(n).catch(logFailure(log, 'warn', 'restoring the bridge of a network', { network: n.id, bridge: n.bridge }));
        await this.ipam(n).reconcile(running);
      }
      await this.applyRules();
    });
  }

  // ---- rules ------------------------------------------------------------------------------

  private async applyRules(): Promise<void> {
    const ports = this.endpoints.allPorts();
    const bridges = this.store.all().filter((n) => n.driver === 'bridge');
    if (!bridges.length && !ports.length) {
      // debug: the table is absent when there was nothing to filter before either
      await nftApply(deleteRuleset(this.table)).catch(logFailure(log, 'debug', 'deleting the nftables table', { table: this.table }));
      return;
    }
    await nftApply(buildRuleset(bridges, ports, this.table, formatMark(this.mark)));
  }

  /** Removes everything this manager created on the host (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.locked(async () => {
      for (const id of this.endpoints.containerIds()) await this.containers.teardown(id);
      for (const n of this.store.all()) if (n.driver === 'bridge') await this.removeNetworkLocked(n);
      // debug: removing the bridges above may have emptied it already
      await nftApply(deleteRuleset(this.table)).catch(logFailure(log, 'debug', 'deleting the nftables table', { table: this.table }));
    });
  }

  /**
   * `skiff daemon --cleanup`: the host objects go, the networks stay in the store (the next
   * start makes their bridges again), and marked bridges no network uses go too. Returns
   * what was removed.
   */
  removeHostObjects(): Promise<string[]> {
    return this.locked(async () => {
      for (const id of this.endpoints.containerIds()) await this.containers.teardown(id);
      const removed: string[] = [];
      for (const n of this.store.all()) {
        if (!n.bridge || !existsSync(`/sys/class/net/${n.bridge}`)) continue;
        this.bridges.forget(n.id);
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
    this.bridges.close();
  }
}
