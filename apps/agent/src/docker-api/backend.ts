import type { Runtime } from '@skiff/runtime';

// What each group of routes needs from the runtime, as moby's router backends
// (daemon/server/router/*/backend.go): a route file names the calls it makes, so what it
// depends on is read here rather than guessed from the whole runtime. The server hands
// every route the runtime itself, which has all of them.

type Containers = Runtime['containers'];
type Images = Runtime['images'];
type Networks = Runtime['networks'];
type Volumes = Runtime['volumes'];

/** the look-up that the state checks before kill, pause, exec and update make */
export interface ContainerStateBackend {
  containers: Pick<Containers, 'inspect'>;
}

/** containers.ts: the lifecycle, logs, top, changes, rename, pause, prune */
export interface ContainerBackend {
  containers: Pick<
    Containers,
    | 'list'
    | 'create'
    | 'inspect'
    | 'start'
    | 'startAttached'
    | 'stop'
    | 'restart'
    | 'kill'
    | 'wait'
    | 'logStream'
    | 'remove'
    | 'top'
    | 'diff'
    | 'rename'
    | 'pause'
    | 'unpause'
    | 'prune'
    | 'diskUsage'
  >;
}

/** container-attach.ts: a hijacked attach */
export interface AttachBackend {
  containers: Pick<Containers, 'inspect' | 'attach'>;
}

/** container-stats.ts */
export interface ContainerStatsBackend {
  containers: Pick<Containers, 'inspect' | 'stats'>;
}

/** container-archive.ts: docker cp and docker export */
export interface ContainerArchiveBackend {
  containers: Pick<Containers, 'copyFrom' | 'copyTo' | 'export'>;
}

/** container-update.ts */
export interface ContainerUpdateBackend {
  containers: Pick<Containers, 'inspect' | 'update'>;
}

/** commit.ts */
export interface CommitBackend {
  containers: Pick<Containers, 'commit'>;
}

/** exec.ts: Docker's two-step exec over the runtime's one call */
export interface ExecBackend {
  containers: Pick<Containers, 'inspect' | 'exec' | 'announceExec'>;
}

/** images.ts, image-list.ts, image-pull.ts, image-push.ts, image-import.ts */
export interface ImageBackend {
  images: Pick<Images, 'list' | 'inspect' | 'remove' | 'pull' | 'import' | 'save' | 'load' | 'prune' | 'tag' | 'history' | 'push'>;
}

/** networks.ts: connect and disconnect go through the containers, which own their endpoints */
export interface NetworkBackend {
  networks: Pick<Networks, 'list' | 'get' | 'create' | 'remove' | 'prune' | 'endpointsOf'>;
  containers: Pick<Containers, 'connect' | 'disconnect'>;
}

/** volumes.ts */
export interface VolumeBackend {
  volumes: Pick<Volumes, 'list' | 'inspect' | 'create' | 'remove' | 'prune' | 'size'>;
}

/** system.ts: info, login and disk usage */
export interface SystemBackend {
  info: Runtime['info'];
  images: Pick<Images, 'list' | 'checkLogin' | 'diskUsage'>;
  containers: Pick<Containers, 'list' | 'diskUsage'>;
  volumes: Pick<Volumes, 'list' | 'size'>;
}

/** events.ts */
export interface EventBackend {
  onEvent: Runtime['onEvent'];
}

/** build.ts */
export interface BuildBackend {
  buildFromArchive: Runtime['buildFromArchive'];
}
