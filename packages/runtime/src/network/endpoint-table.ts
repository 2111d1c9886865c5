import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomicUnsynced } from '../store/atomic-file.js';
import type { PortRule } from './nft-ruleset.js';
import { cleanupFailed, logger } from '@skiff/logger';

const log = logger.child({ component: 'network' });

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

/**
 * The networking of every container that has some, by container id, kept in
 * `networks/endpoints/<id>.json`: one file per container, so a start writes its own few
 * hundred bytes, not everybody's. The manager's lock serialises every change.
 */
export class EndpointTable {
  private endpoints = new Map<string, ContainerNetworking>();

  constructor(private readonly root: string) {}

  private get dir(): string {
    return join(this.root, 'networks', 'endpoints');
  }

  private file(containerId: string): string {
    return join(this.dir, `${containerId}.json`);
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // the single file of earlier versions
    const legacy = join(this.root, 'networks', 'endpoints.json');
    for (const e of await readFile(legacy, 'utf8').then(
      (t) => JSON.parse(t) as ContainerNetworking[],
      () => [],
    )) {
      await this.save(e);
    }
    // ENOENT (debug) is the usual case: only a root from before per-container files has one
    await unlink(legacy).catch(cleanupFailed(log, 'removing the legacy endpoints.json', { file: legacy }));
    this.endpoints = new Map();
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const e = await readFile(join(this.dir, f), 'utf8').then(
        (t) => JSON.parse(t) as ContainerNetworking,
        () => undefined,
      );
      if (e?.containerId) this.endpoints.set(e.containerId, e);
    }
  }

  /**
   * Not fsync'ed: after a host crash no container is running, and reconcile() rebuilds
   * everything from what is; an agent crash cannot tear an atomically renamed file.
   */
  async save(cn: ContainerNetworking): Promise<void> {
    writeJsonAtomicUnsynced(this.file(cn.containerId), cn);
  }

  /** in memory only until save() */
  set(cn: ContainerNetworking): void {
    this.endpoints.set(cn.containerId, cn);
  }

  async drop(containerId: string): Promise<void> {
    this.endpoints.delete(containerId);
    rmSync(this.file(containerId), { force: true });
  }

  get(containerId: string): ContainerNetworking | undefined {
    return this.endpoints.get(containerId);
  }

  has(containerId: string): boolean {
    return this.endpoints.has(containerId);
  }

  containerIds(): string[] {
    return [...this.endpoints.keys()];
  }

  all(): ContainerNetworking[] {
    return [...this.endpoints.values()];
  }

  /** the containers with an endpoint on the network */
  containersOn(networkId: string): string[] {
    return this.all()
      .filter((e) => e.endpoints.some((p) => p.networkId === networkId))
      .map((e) => e.containerId);
  }

  /** `proto/port` of every published port but `containerId`'s */
  portsTakenBesides(containerId: string): Set<string> {
    const taken = new Set<string>();
    for (const e of this.endpoints.values()) {
      if (e.containerId === containerId) continue;
      for (const p of e.ports) taken.add(`${p.protocol}/${p.hostPort}`);
    }
    return taken;
  }

  /** every published port, for the nftables ruleset */
  allPorts(): PortRule[] {
    return this.all().flatMap((e) => e.ports);
  }
}
