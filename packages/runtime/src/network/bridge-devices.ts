import { existsSync } from 'node:fs';
import { ipBatch, sysctl } from './commands.js';
import { DnsServer, type NameLookup, type ReverseLookup } from './dns-server.js';
import { assertBridgeOwned, markLine, pruneBridgeAddresses } from './host-reconcile.js';
import type { HostMark } from './host-mark.js';
import type { NetworkRecord } from './network-store.js';
import { logFailure, logger } from '@skiff/logger';

const log = logger.child({ component: 'network' });

/**
 * The host side of bridge networks: each one's bridge device (marked as this runtime's),
 * its gateway address and sysctls, and the DNS server a user-defined network's containers
 * ask for each other's names. Set up once per network and process, then a container start
 * costs a stat.
 */
export class BridgeDevices {
  /** networks whose bridge, sysctls and DNS listener this process has already set up */
  private readonly ensured = new Set<string>();
  private readonly dns: DnsServer;

  constructor(
    private readonly mark: HostMark,
    /** bridge devices of the store's networks (a marked bridge that is not one is not ours to reuse) */
    private readonly knownBridges: () => Set<string>,
    /** where what was found on the host and fixed is reported */
    private readonly findings: string[],
    resolve: NameLookup,
    reverse: ReverseLookup,
  ) {
    this.dns = new DnsServer(resolve, reverse);
  }

  async ensure(n: NetworkRecord): Promise<void> {
    const exists = existsSync(`/sys/class/net/${n.bridge}`);
    if (exists && this.ensured.has(n.id)) return; // the hot path: nothing to do per container start
    const prefix = n.subnet!.split('/')[1];
    if (exists) assertBridgeOwned(n.bridge!, this.mark, this.knownBridges());
    await ipBatch([
      ...(exists ? [] : [`link add name ${n.bridge} type bridge`]),
      markLine(n.bridge!, this.mark),
      `addr replace ${n.gateway}/${prefix} dev ${n.bridge}`,
      `link set ${n.bridge} up`,
    ]);
    // an address of an earlier subnet (older versions re-picked one after a wiped root) would keep its pool taken
    if (exists)
      for (const a of await pruneBridgeAddresses(n.bridge!, `${n.gateway}/${prefix}`)) this.findings.push(`removed stale address ${a} from bridge ${n.bridge}`);
    await sysctl('net.ipv4.ip_forward', '1');
    // published ports reached through 127.0.0.1 are routed onto the bridge
    await sysctl(`net.ipv4.conf.${n.bridge}.route_localnet`, '1');
    if (!n.isDefault)
      await this.dns.listen(n.id, n.gateway!).catch(logFailure(log, 'warn', 'starting the DNS server of a network', { network: n.id, address: n.gateway }));
    this.ensured.add(n.id);
  }

  /** the network's DNS listener stops; its bridge is set up anew when next asked for */
  forget(networkId: string): void {
    this.dns.close(networkId);
    this.ensured.delete(networkId);
  }

  close(): void {
    this.dns.close();
  }
}
