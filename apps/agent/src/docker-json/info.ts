import { arch } from 'node:os';
import { SKIFF_VERSION, type SystemInfo } from '@skiff/runtime';

/** the agent process's own counters, shown as dockerd's NFd / NGoroutines */
export interface OwnResources {
  fds: number;
  handles: number;
}

/** `GET /info` as dockerd answers it, from the runtime's counts (shared by the Docker API and `skiff info --format`) */
export function dockerInfo(i: SystemInfo, own?: OwnResources): Record<string, unknown> {
  return {
    ID: 'skiff',
    Containers: i.containers,
    ContainersRunning: i.containersRunning,
    ContainersPaused: i.containersPaused,
    ContainersStopped: i.containersStopped,
    Images: i.images,
    Driver: 'overlay2',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: String(i.cgroupVersion),
    KernelVersion: i.kernel,
    OperatingSystem: i.os,
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    NCPU: i.cpus,
    MemTotal: i.memTotal,
    DockerRootDir: i.root,
    Name: 'skiff',
    ServerVersion: SKIFF_VERSION,
    Runtimes: { skiff: { path: 'skiff-shim' } },
    DefaultRuntime: 'skiff',
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=no-new-privileges'],
    Warnings: [],
    // like dockerd's (its goroutines are our libuv handles): what a leak per call shows in
    ...(own ? { NFd: own.fds, NGoroutines: own.handles } : {}),
  };
}
