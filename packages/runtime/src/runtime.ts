import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { cgroupVersion } from './container/cgroup/cgroups.js';
import { ContainerManager } from './container/container-manager.js';
import { ImageStore } from './image/image-store.js';
import { VolumeStore } from './volume/volume-store.js';
import { NetworkManager } from './network/network-manager.js';
import { unknownCgroups } from './host-cgroups.js';
import { EventBus } from './event-bus.js';
import type { ContainerService, RuntimeApi, RuntimeEvent, SystemInfo } from './types.js';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BuildCache } from './build/build-cache.js';
import { Builder, type BuildOptions } from './build/builder.js';
import { runtimeBackend } from './build/runtime-backend.js';
import { receiveContext } from './build/context-archive.js';

import type { StartPhases } from './container/shim/start-timeline.js';
import { makePrivateRoot } from './store/private-root.js';
import { checkRootFormat, writeRootFormat } from './store/root-format.js';
import type { RuntimeImages, RuntimeNetworks, RuntimeVolumes } from './services.js';

export const SKIFF_VERSION = '0.1.0';

export interface RuntimeOptions {
  root: string;
  /** registries reached over plain HTTP (`host:port`), like Docker's --insecure-registry */
  insecureRegistries?: string[];
  cgroupParent?: string;
  /** container log rotation: bytes per file and files kept (default 20 MiB x 5) */
  logMaxSize?: number;
  logMaxFiles?: number;
  /** the default bridge device and subnet (tests use their own to stay apart from a running agent) */
  bridgeName?: string;
  defaultSubnet?: string;
  /** the nftables table this runtime owns */
  nftTable?: string;
  /** each container start's time per phase (benchmarks) */
  onStartPhases?: (containerId: string, phases: StartPhases) => void;
}

export interface Runtime extends RuntimeApi {
  containers: ContainerService;
  images: RuntimeImages;
  volumes: RuntimeVolumes;
  networks: RuntimeNetworks;
  /** what the start found on the host that its state does not explain (the agent prints them) */
  hostFindings: string[];
  /** `docker build`: a Dockerfile in a context directory into an image */
  build(opts: BuildOptions): Promise<{ id: string }>;
  /** `docker build` over an API: the context arrives as a tar stream (or a bare Dockerfile) */
  buildFromArchive(context: Readable, opts: Omit<BuildOptions, 'context'>): Promise<{ id: string }>;
}

/** Opens the runtime rooted at `root`, re-adopting containers whose shims are still running. */
export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  // first of all: a root a newer release wrote is refused before anything in it changes
  const format = checkRootFormat(opts.root);
  await makePrivateRoot(opts.root);
  const bus = new EventBus();
  const emit = (e: Omit<RuntimeEvent, 'time'>) => bus.emit(e);
  const images = await ImageStore.open({ root: opts.root, insecureRegistries: opts.insecureRegistries ?? [], emit });
  const volumes = await VolumeStore.open(opts.root);
  const networks = await NetworkManager.open(opts.root, { bridgeName: opts.bridgeName, defaultSubnet: opts.defaultSubnet, nftTable: opts.nftTable });
  const containers = await ContainerManager.open({
    root: opts.root,
    images,
    volumes,
    networks,
    emit,
    cgroupParent: opts.cgroupParent,
    logMaxSize: opts.logMaxSize,
    logMaxFiles: opts.logMaxFiles,
    onStartPhases: opts.onStartPhases,
  });
  await writeRootFormat(opts.root, format);
  // the stores made their directories (layers/, containers/ …) with default modes on a fresh root
  await makePrivateRoot(opts.root);
  images.setUsageCheck((imageId) => containers.usesImage(imageId));
  volumes.setUsage((name) => containers.volumeUsers(name));
  volumes.onEvent = (action, name) => emit({ type: 'volume', action, id: name, attributes: { driver: 'local' } });
  networks.visibleContainer = (id) => !containers.isInternal(id);
  networks.onEvent = (action, n, container) => {
    if (container && containers.isInternal(container)) return; // a build step's connect and disconnect
    emit({ type: 'network', action, id: n.id, attributes: { name: n.name, type: n.driver, ...(container ? { container } : {}) } });
  };

  const knownIds = new Set((await containers.list({ all: true })).map((c) => c.id));
  const strayCgroups = unknownCgroups(opts.cgroupParent ?? 'skiff', knownIds).map(
    (d) => `found cgroup ${d}: no container of this root (skiff daemon --cleanup removes it)`,
  );
  const builder = new Builder(runtimeBackend(images, containers, join(opts.root, 'tmp')), new BuildCache(join(opts.root, 'build-cache.json')));
  return {
    images,
    containers,
    volumes,
    networks,
    hostFindings: [...networks.hostFindings, ...strayCgroups],
    build: (o) => builder.build(o),
    async buildFromArchive(input, o) {
      const ctx = await receiveContext(input, join(opts.root, 'tmp'), o.signal);
      try {
        return await builder.build({ ...o, context: ctx.dir, dockerfileText: o.dockerfileText ?? ctx.dockerfileText });
      } finally {
        await ctx.remove();
      }
    },
    async info(): Promise<SystemInfo> {
      const counts = containers.counts();
      const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
      return {
        version: SKIFF_VERSION,
        root: opts.root,
        kernel: release(),
        os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux',
        cpus: cpus().length,
        memTotal: totalmem(),
        cgroupVersion: cgroupVersion(),
        containers: counts.total,
        containersRunning: counts.running,
        containersPaused: counts.paused,
        containersStopped: counts.stopped,
        images: (await images.list()).length,
      };
    },
    onEvent(listener, o) {
      return bus.on(listener, o);
    },
    async close() {
      await containers.close();
      networks.close();
      bus.clear();
    },
  };
}
