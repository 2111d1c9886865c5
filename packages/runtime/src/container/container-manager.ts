import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound, SkiffError, Unavailable } from '../errors.js';
import { MNT_DETACH, MS_RDONLY, mount as nativeMount, umount2 } from '../native/addon.js';
import type {
  ContainerCreateSpec, ContainerService, ContainerStats, ContainerSummary, ContainerUpdateSpec, ExecSpec, FileChange, ImageInspect,
  ListContainersOptions, LogChunk, LogEntry, LogStreamOptions, LogsOptions, ProcessList, RuntimeEvent, StdioSession, WaitCondition,
} from '../types.js';
import { AttachSession, connectAttachSocket } from './stdio/attach-client.js';
import { ContainerCgroup } from './cgroup/cgroups.js';
import { applyUpdate } from './spec/container-update.js';
import { ALL_CAPABILITIES, ZERO_TIME, type ContainerState } from './store/container-record.js';
import { buildRecord, mergeEnv } from './spec/container-spec.js';
import { ContainerStore, type StoredContainer } from './store/container-store.js';
import { packFromRoot, packFromRootFd, unpackIntoRoot, unpackIntoRootFd } from './fs/copy.js';
import { copyError } from './fs/copy-errors.js';
import { openContainerRoot } from './fs/container-root.js';
import { treeSize } from './fs/tree-size.js';
import { containerDiff } from './fs/diff.js';
import { runtimePlaceholders } from './fs/runtime-placeholders.js';
import { writeEtcFiles } from './shim/etc-files.js';
import { ExecSession } from './stdio/exec-session.js';
import { healthSchedule } from './health/health-config.js';
import { HealthMonitor } from './health/health-monitor.js';
import { readExitRecord } from './lifecycle/exit-record.js';
import { containerInspect } from './views/inspect.js';
import { ContainerSummaryCache } from './views/summary-cache.js';
import { readContainerLogChunks, readContainerLogStream, readContainerLogs } from './logs/log-reader.js';
import { reconcileContainers } from './lifecycle/adopt.js';
import { killCgroup } from './lifecycle/cgroup-kill.js';
import { ExitWatch } from './lifecycle/exit-watch.js';
import { diskFullError } from './lifecycle/disk-errors.js';
import { lifecycleWarn } from './lifecycle/log.js';
import { isShimOf, liveOwner, readPidFile, waitShimDone } from './lifecycle/shim-process.js';
import { formatShimConf } from './shim/shim-conf.js';
import { launchShim } from './shim/shim-launcher.js';
import { StartTimeline, type StartPhases } from './shim/start-timeline.js';
import { parseSignal } from './spec/signals.js';
import { sampleStats } from './stats/stats.js';
import { containerTop } from './stats/top.js';
import { validateExecStrings } from './spec/spec-strings.js';
import { resolveUser } from './spec/user.js';
import { networkMode, portsOf } from './store/record-helpers.js';
import { internalOwner, removeOrphanedInternal } from './store/internal-containers.js';
import { resolveMounts, shimMountLines, type ResolvedMount } from './spec/mounts.js';
import type { VolumeStore } from '../volume/volume-store.js';
import { applyChanges } from '../image/config-changes.js';
import type { NewImageSpec } from '../image/image-create.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ImageConfig } from '../types.js';

/** What the container manager needs from the image store. */
export interface ImageProvider {
  resolve(refOrId: string): Promise<ImageInspect>;
  /** overlay lower dirs of the image, top-most first */
  layerDirs(imageId: string): Promise<string[]>;
  /** a new image from a layer source on top of a parent (commit, build) */
  createImage(spec: NewImageSpec): Promise<ImageInspect>;
}

/** `docker commit` options */
export interface CommitOptions {
  /** `repo[:tag]` for the new image; without it the image is dangling (`<none>`) */
  ref?: string;
  /** the history entry's comment (`-m`) */
  message?: string;
  /** the image's author (`-a`) */
  author?: string;
  /** Dockerfile instructions applied to the config (`-c`): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD */
  changes?: string[];
  /** freeze a running container while its layer is written (default true, like Docker) */
  pause?: boolean;
  /** the whole image config instead of the one derived from the container (a build's RUN step) */
  config?: ImageConfig & { OnBuild?: string[] | null };
  /** the history's created_by instead of the container's command */
  createdBy?: string;
}

export interface ContainerManagerOptions {
  root: string;
  images: ImageProvider;
  volumes: VolumeStore;
  networks: NetworkManager;
  emit: (e: Omit<RuntimeEvent, 'time'>) => void;
  /** cgroup parent under every hierarchy (default `skiff`) */
  cgroupParent?: string;
  /** log rotation (default 20 MiB x 5 files, like Docker's `local` driver) */
  logMaxSize?: number;
  logMaxFiles?: number;
  /** receives each start's time per phase (benchmarks); the shim then reports its own marks too */
  onStartPhases?: (containerId: string, phases: StartPhases) => void;
}

const nowIso = () => new Date().toISOString().replace(/Z$/, '000000Z').replace(/\.(\d{9})\d*Z$/, '.$1Z');

/**
 * The container lifecycle: records on disk, one detached shim per running container,
 * exit detection (inotify on exit.json plus a sweep for shims that died hard), restart
 * policies, and re-adoption of running containers when the agent starts again.
 */
export class ContainerManager implements ContainerService {
  private readonly exitWaiters = new Map<string, (() => void)[]>();
  /** `wait --condition removed`: woken once the container's directory is gone */
  private readonly removeWaiters = new Map<string, (() => void)[]>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly healthMonitors = new Map<string, HealthMonitor>();
  /** containers whose exit is being recorded (and, with --rm, removed): wait() is not done yet */
  private readonly finishing = new Set<string>();
  /** `ps` summaries reused while their container does not change */
  private readonly summaries = new ContainerSummaryCache();
  /** made once: `ps` hands it to the summary cache on every call */
  private readonly networkingOf = (id: string) => this.opts.networks.networkingOf(id);
  private readonly exits: ExitWatch;
  private closed = false;

  private constructor(
    private readonly store: ContainerStore,
    private readonly opts: ContainerManagerOptions,
  ) {
    this.exits = new ExitWatch((id) => this.store.find(id), (c) => this.checkExit(c));
  }

  static async open(opts: ContainerManagerOptions): Promise<ContainerManager> {
    const m = new ContainerManager(await ContainerStore.open(opts.root), opts);
    await m.adoptAll();
    await removeOrphanedInternal(m.store.all().map((c) => c.record), (id) => m.remove(id, { force: true }));
    return m;
  }

  /** ids of the containers (any state) that mount a volume */
  volumeUsers(name: string): string[] {
    return this.store.all().filter((c) => c.record.mounts?.some((m) => m.name === name)).map((c) => c.record.id);
  }

  /** is this the runtime's own container (a build step's), which no user sees? */
  isInternal(id: string): boolean {
    return !!this.store.find(id)?.record.internal;
  }

  /** true while some container (in any state) was created from the image */
  usesImage(imageId: string): boolean {
    return this.store.all().some((c) => c.record.imageId === imageId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.exits.close();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    // the containers keep running; the next agent resumes their checks from state.json
    for (const h of this.healthMonitors.values()) h.stop();
    this.healthMonitors.clear();
  }

  // ---- serialisation -------------------------------------------------------------

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  private emit(c: StoredContainer, action: string, extra: Record<string, string> = {}): void {
    this.summaries.invalidate(c);
    if (c.record.internal) return; // users see no event of a container they cannot see
    this.opts.emit({
      type: 'container',
      action,
      id: c.record.id,
      attributes: { name: c.record.name, image: c.record.image, ...c.record.labels, ...extra },
    });
  }

  private async setState(c: StoredContainer, patch: Partial<ContainerState>): Promise<void> {
    Object.assign(c.state, patch);
    this.summaries.invalidate(c);
    // memory is the truth while the agent runs; a restarted one rebuilds from the shims,
    // so a failed write (a full disk) must not fail a stop or a removal
    await this.store.saveState(c).catch((e) => lifecycleWarn(`writing state.json (${c.state.status})`, c.record.id, e));
  }

  private cgroup(c: StoredContainer): ContainerCgroup {
    return ContainerCgroup.for(this.opts.cgroupParent ?? 'skiff', c.record.id);
  }

  // ---- create / start --------------------------------------------------------------

  async create(spec: ContainerCreateSpec): Promise<{ id: string; warnings: string[] }> {
    if (!spec || typeof spec.image !== 'string' || !spec.image) throw new InvalidArgument('an image is required');
    const image = await this.opts.images.resolve(spec.image);
    const name = spec.name ? this.store.validateName(spec.name) : this.store.newName();
    const id = this.store.newId();
    const record = buildRecord(spec, image, { id, name, created: nowIso() });
    const internal = internalOwner();
    if (internal) record.internal = internal;
    for (const n of record.networks) this.opts.networks.get(n.network); // NotFound for a typo'd network
    for (const l of spec.links ?? []) this.store.get(l.split(':')[0]!);
    record.mounts = await resolveMounts(spec.mounts ?? [], {
      volumes: this.opts.volumes,
      lowers: await this.opts.images.layerDirs(image.id),
      imageVolumes: Object.keys(image.config?.Volumes ?? {}),
      volumesFrom: this.volumesFrom(spec.volumesFrom ?? []),
      tmpDir: join(this.opts.root, 'tmp'),
    });
    const c = await this.store.add(record).catch(async (e) => {
      await this.removeAnonymousVolumes(record.mounts);
      throw e;
    });
    try {
      for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(c.dir, d));
      await writeEtcFiles(c.dir, { hostname: record.hostname, network: networkMode(record.spec.network) });
    } catch (e) {
      await this.store.delete(c);
      await this.removeAnonymousVolumes(record.mounts);
      throw diskFullError(e, `container ${name}'s files`);
    }
    this.emit(c, 'create');
    return { id, warnings: [] };
  }

  /** `--volumes-from CONTAINER[:ro|rw]`: that container's volumes and binds, same targets */
  private volumesFrom(list: string[]): ResolvedMount[] {
    const out: ResolvedMount[] = [];
    for (const entry of list) {
      const [ref, mode] = entry.split(':');
      if (mode && mode !== 'ro' && mode !== 'rw') throw new InvalidArgument(`invalid mode "${mode}" in --volumes-from ${entry}`);
      const src = this.store.get(ref!);
      for (const m of src.record.mounts ?? []) {
        if (m.type === 'tmpfs') continue;
        out.push({ ...m, readOnly: mode === 'ro' ? true : mode === 'rw' ? false : m.readOnly });
      }
    }
    return out;
  }

  private async removeAnonymousVolumes(mounts: ResolvedMount[] = [], exceptUsedBy?: string): Promise<void> {
    for (const m of mounts) {
      if (!m.anonymous || !m.name) continue;
      if (this.volumeUsers(m.name).some((id) => id !== exceptUsedBy)) continue;
      await this.opts.volumes.remove(m.name, { force: true }).catch(() => {});
    }
  }

  async start(idOrName: string): Promise<void> {
    const c = this.store.get(idOrName);
    await this.withLock(c.record.id, () => this.startLocked(c, false));
  }

  /**
   * Starts a created container with a session already connected, so no early output is
   * lost (Docker's attach-then-start, as `docker run` without -d does it).
   */
  async startAttached(idOrName: string): Promise<StdioSession> {
    const c = this.store.get(idOrName);
    if (c.state.status === 'running' || c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is already running`);
    const { attach } = await this.withLock(c.record.id, () => this.startLocked(c, true));
    return this.attachTo(c, attach);
  }

  async run(spec: ContainerCreateSpec, opts: { attach?: boolean } = {}): Promise<{ id: string; session?: StdioSession }> {
    const { id } = await this.create(spec);
    const c = this.store.get(id);
    let attach: Promise<Socket> | undefined;
    try {
      ({ attach } = await this.withLock(id, () => this.startLocked(c, !!opts.attach)));
    } catch (e) {
      if (spec.autoRemove) await this.remove(id, { force: true }).catch(() => {});
      throw e;
    }
    if (!opts.attach) return { id };
    return { id, session: await this.attachTo(c, attach) };
  }

  /**
   * With `waitAttach` the container's process execs only once a client is connected to the
   * shim's attach socket; `attach` is that connection, opened as soon as the shim is up.
   */
  private async startLocked(c: StoredContainer, waitAttach: boolean): Promise<{ attach?: Promise<Socket> }> {
    if (c.state.status === 'running') return {};
    if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is paused, unpause it instead`);
    if (c.state.status === 'removing') throw new Conflict(`container ${c.record.name} is being removed`);
    if (!this.store.find(c.record.id)) throw new NotFound(`no such container: ${c.record.name}`);
    // a shim this agent lost track of still owns the dir: that run is the container's
    if (this.adoptOwner(c)) return {};
    const r = c.record;
    const spec = r.spec;
    const timeline = this.opts.onStartPhases ? new StartTimeline() : undefined;
    const lowers = await this.opts.images.layerDirs(r.imageId);
    const upper = join(c.dir, 'upper');
    const cg = this.cgroup(c);
    const network = networkMode(spec.network);
    let netns: string | undefined;
    let attach: Promise<Socket> | undefined;
    await cg.create({ memory: spec.memory, memorySwap: spec.memorySwap, nanoCpus: spec.nanoCpus, cpuShares: spec.cpuShares, pidsLimit: spec.pidsLimit });
    try {
      timeline?.mark('image layers and cgroups');
      const user = await resolveUser(r.user, [upper, ...lowers]);
      const hostEntries: [string, ...string[]][] = [];
      for (const l of spec.links ?? []) {
        const [ref, alias] = l.split(':');
        const target = this.store.get(ref!);
        const ip = this.opts.networks.networkingOf(target.record.id)?.endpoints[0]?.ip;
        if (!ip) throw new Conflict(`cannot link to ${ref}: the container is not running on a bridge network`);
        hostEntries.push([ip, ...(alias ? [alias] : []), target.record.name, target.record.id.slice(0, 12)]);
      }
      for (const h of spec.extraHosts ?? []) {
        const i = h.indexOf(':');
        hostEntries.push([h.slice(i + 1), h.slice(0, i)]);
      }
      let ip: string | undefined;
      let dnsServer: string | undefined;
      timeline?.mark('user and links');
      if (network === 'bridge') {
        const net = await this.opts.networks.setup(r.id, r.name, r.networks, portsOf(c.record));
        netns = net.netns;
        ip = net.endpoints[0]?.ip;
        const userNet = net.endpoints.find((e) => !this.opts.networks.get(e.networkId).isDefault);
        dnsServer = userNet?.gateway;
      }
      timeline?.mark('network (netns, veth, address, ports)');
      await writeEtcFiles(c.dir, { hostname: r.hostname, network, ip, hostEntries, dnsServer, dns: spec.dns });
      const conf = formatShimConf([
        ['id', r.id],
        ['lower', lowers],
        ['upper', upper],
        ['work', join(c.dir, 'work')],
        ['rootfs', join(c.dir, 'rootfs')],
        ['readonly', !!spec.readOnly],
        ['hostname', r.hostname],
        ['netns', network === 'host' ? 'host' : (netns ?? 'new')],
        ['arg', [r.path, ...r.args]],
        ['env', r.env],
        ['cwd', r.workingDir],
        ['uid', user.uid],
        ['gid', user.gid],
        ['group', user.groups],
        ['cap', r.capabilities],
        ['noNewPrivileges', true],
        ['seccomp', 'default'],
        ['tty', !!spec.tty],
        ['stdin', !!spec.openStdin],
        ['waitAttach', waitAttach],
        ['init', !!spec.init],
        ['cgroup', cg.joinDirs],
        ['oomFile', cg.oomFile],
        ['hostsFile', join(c.dir, 'hosts')],
        ['hostnameFile', join(c.dir, 'hostname')],
        ['resolvFile', join(c.dir, 'resolv.conf')],
        ['mount', shimMountLines(r.mounts ?? [])],
        ['logPath', join(c.dir, 'container.log')],
        ['logMaxSize', this.opts.logMaxSize ?? 20 * 1024 * 1024],
        ['logMaxFiles', this.opts.logMaxFiles ?? 5],
        ['trace', timeline ? true : undefined],
      ]);
      writeFileSync(join(c.dir, 'shim.conf'), conf);
      rmSync(join(c.dir, 'exit.json'), { force: true });
      timeline?.mark('etc files and shim.conf');
      const { pid, shimPid } = await launchShim(c.dir, timeline);
      // the process waits for it: connect while state.json is written, not after
      if (waitAttach) {
        attach = connectAttachSocket(c.dir);
        attach.catch(() => {}); // the caller awaits it; a start that fails drops it below
      }
      // Docker: every start begins "starting" with a clear streak; the log carries over
      const health = healthSchedule(r.healthcheck, r.healthShell)
        ? { Status: 'starting' as const, FailingStreak: 0, Log: c.state.health?.Log ?? [] }
        : undefined;
      await this.setState(c, {
        status: 'running', pid, shimPid, startedAt: nowIso(), finishedAt: ZERO_TIME,
        exitCode: 0, oomKilled: false, error: '', stoppedByUser: false, health,
      });
      timeline?.mark('state.json');
    } catch (e) {
      attach?.then((s) => s.destroy(), () => {});
      await cg.remove().catch(() => {});
      if (netns) await this.opts.networks.teardown(r.id).catch(() => {});
      const err = diskFullError(e, `starting container ${r.name}`) as SkiffError;
      await this.setState(c, { error: err.message, exitCode: err.exitStatus ?? 125 });
      throw err;
    }
    this.monitor(c);
    this.stopHealth(c); // a monitor left from the previous run would keep its old schedule
    this.startHealth(c);
    this.emit(c, 'start');
    if (timeline) this.opts.onStartPhases!(r.id, timeline.phases);
    return { attach };
  }

  // ---- health checks ---------------------------------------------------------------------

  private startHealth(c: StoredContainer): void {
    const schedule = healthSchedule(c.record.healthcheck, c.record.healthShell);
    if (!schedule || this.closed || this.healthMonitors.has(c.record.id)) return;
    const m = new HealthMonitor({
      container: c,
      schedule,
      exec: (argv) => this.startExec(c, { cmd: argv }),
      save: () => this.store.saveState(c),
      onStatus: (status) => this.emit(c, `health_status: ${status}`),
    });
    this.healthMonitors.set(c.record.id, m);
    m.start();
  }

  private stopHealth(c: StoredContainer): void {
    this.healthMonitors.get(c.record.id)?.stop();
    this.healthMonitors.delete(c.record.id);
  }

  // ---- exit detection ------------------------------------------------------------------

  private monitor(c: StoredContainer): void {
    this.exits.watch(c);
  }

  private unmonitor(id: string): void {
    this.exits.unwatch(id);
  }

  private async checkExit(c: StoredContainer): Promise<void> {
    if (c.state.status !== 'running' && c.state.status !== 'paused') return;
    const exit = await readExitRecord(c.dir);
    if (!exit && isShimOf(c.state.shimPid, c.dir)) return;
    await this.withLock(c.record.id, () => this.finishExit(c));
  }

  /** `removing`: the caller removes the container next, so no --rm and no restart policy */
  private async finishExit(c: StoredContainer, removing = false): Promise<void> {
    if (c.state.status !== 'running' && c.state.status !== 'paused') return;
    let exit = await readExitRecord(c.dir);
    if (!exit) {
      // exit.json is written before the shim exits; give a racing write a moment.
      await new Promise((r) => setTimeout(r, 50));
      exit = await readExitRecord(c.dir);
    }
    if (!exit && isShimOf(c.state.shimPid, c.dir)) return;
    this.finishing.add(c.record.id);
    try {
      this.unmonitor(c.record.id);
      this.stopHealth(c);
      // dockerd marks a stopped container's health unhealthy ("for compatibility reasons")
      if (c.state.health) c.state.health.Status = 'unhealthy';
      const patch: Partial<ContainerState> = exit
        ? { exitCode: exit.exitCode, oomKilled: exit.oomKilled, finishedAt: exit.finishedAt }
        : { exitCode: 255, error: 'the container shim exited unexpectedly', finishedAt: nowIso() };
      const cg = this.cgroup(c);
      // a shim that died leaves its container running, re-parented to the host's init: it is
      // "exited" once its cgroup is empty, and its address and ports go only after that
      if (!(await killCgroup(cg))) lifecycleWarn('killing the processes its dead shim left', c.record.id, 'still there');
      await this.setState(c, { ...patch, status: 'exited', pid: 0, shimPid: 0 });
      await this.opts.networks.teardown(c.record.id).catch((e) => lifecycleWarn('tearing down its network', c.record.id, e));
      if (c.state.oomKilled) this.emit(c, 'oom');
      this.emit(c, 'die', { exitCode: String(c.state.exitCode) });
      await cg.remove().catch(() => {});
      // `run --rm` ends once the container is gone, as docker's does (it waits for "removed")
      if (c.record.spec.autoRemove && !this.closed && !removing) await this.removeLocked(c, true).catch((e) => lifecycleWarn('removing it (--rm)', c.record.id, e));
    } finally {
      this.finishing.delete(c.record.id);
      const waiters = this.exitWaiters.get(c.record.id) ?? [];
      this.exitWaiters.delete(c.record.id);
      for (const w of waiters) w();
    }
    if (this.closed || c.record.spec.autoRemove || removing) return;
    this.maybeRestart(c);
  }

  private maybeRestart(c: StoredContainer): void {
    const p = c.record.restartPolicy;
    const s = c.state;
    if (s.stoppedByUser || p.name === 'no') return;
    if (p.name === 'on-failure' && (s.exitCode === 0 || (p.maximumRetryCount && s.restartCount >= p.maximumRetryCount))) return;
    // Docker's back-off: 100 ms doubling, reset when the container ran for 10 s or more.
    const ranMs = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
    const delay = ranMs >= 10_000 ? 100 : Math.min(60_000, 100 * 2 ** Math.min(s.restartCount, 10));
    void this.setState(c, { status: 'restarting' });
    const t = setTimeout(() => {
      this.restartTimers.delete(c.record.id);
      void this.withLock(c.record.id, async () => {
        if (c.state.status !== 'restarting' || !this.store.find(c.record.id)) return;
        // "restarting" until the start is done: a removal waits for it rather than seeing "exited"
        c.state.restartCount++;
        await this.startLocked(c, false).catch(async (e) => {
          await this.setState(c, { status: 'exited', error: (e as Error).message });
        });
        if ((c.state.status as string) === 'running') this.emit(c, 'restart');
      });
    }, delay);
    t.unref();
    this.restartTimers.set(c.record.id, t);
  }

  /** Agent start: records checked against the shims that run (lifecycle/adopt.ts), then the network. */
  private async adoptAll(): Promise<void> {
    await reconcileContainers({
      containersDir: this.store.dir,
      all: () => this.store.all(),
      cgroup: (c) => this.cgroup(c),
      setState: (c, patch) => this.setState(c, patch),
      watch: (c) => {
        this.monitor(c);
        this.startHealth(c);
      },
      finishExit: (c) => this.finishExit(c),
      remove: (c) => this.removeLocked(c, !!c.record.spec.autoRemove),
      restartLater: (c) => this.maybeRestart(c),
      now: nowIso,
    });
    const running = new Set(this.store.all().filter((c) => c.state.status === 'running' || c.state.status === 'paused').map((c) => c.record.id));
    const known = new Set(this.store.all().map((c) => c.record.id));
    await this.opts.networks.reconcile(running, known).catch(() => {});
  }

  /**
   * Start's check for a second instance: when a live shim already owns the container dir
   * (a run this agent did not record) it is adopted as the container's run instead. One
   * stat when no shim runs; the shim's own flock refuses a second instance regardless.
   */
  private adoptOwner(c: StoredContainer): boolean {
    const shimPid = liveOwner(c.dir);
    const pid = shimPid && readPidFile(c.dir, 'init.pid');
    if (!pid) return false;
    void this.setState(c, { status: 'running', pid, shimPid, startedAt: nowIso(), finishedAt: ZERO_TIME, exitCode: 0, error: '' });
    this.monitor(c);
    this.startHealth(c);
    return true;
  }

  /**
   * SIGKILLs the whole container (its cgroup, so a process a dead shim left goes too)
   * and records the exit, all under the container's lock: nothing can start it meanwhile.
   */
  private async killLocked(c: StoredContainer): Promise<void> {
    await this.setState(c, { stoppedByUser: true });
    if (!(await killCgroup(this.cgroup(c)))) throw new Unavailable(`the processes of container ${c.record.name} did not exit after SIGKILL`);
    if (!(await waitShimDone(c.dir, c.state.shimPid, 10_000))) throw new Unavailable(`the shim of container ${c.record.name} did not exit`);
    await this.finishExit(c, true);
  }

  /** `network connect`: joins now if running, and on every later start */
  async connect(idOrName: string, network: string, opts: { ip?: string; aliases?: string[] } = {}): Promise<void> {
    const c = this.store.get(idOrName);
    const n = this.opts.networks.get(network);
    if (n.driver !== 'bridge') throw new InvalidArgument(`container cannot be connected to the ${n.name} network`);
    if (networkMode(c.record.spec.network) !== 'bridge') throw new Conflict(`container ${c.record.name} uses the ${c.record.spec.network} network mode and cannot join other networks`);
    if (c.record.networks.some((r) => this.opts.networks.get(r.network).id === n.id)) throw new Conflict(`endpoint with name ${c.record.name} already exists in network ${n.name}`);
    const req = { network: n.name, ip: opts.ip, aliases: opts.aliases };
    if (c.state.status === 'running' || c.state.status === 'paused') await this.opts.networks.connect(c.record.id, req);
    c.record.networks.push(req);
    await this.store.saveRecord(c);
    this.emit(c, 'connect', { network: n.name });
  }

  async disconnect(idOrName: string, network: string): Promise<void> {
    const c = this.store.get(idOrName);
    const n = this.opts.networks.get(network);
    const idx = c.record.networks.findIndex((r) => this.opts.networks.get(r.network).id === n.id);
    if (idx < 0) throw new NotFound(`container ${c.record.name} is not connected to network ${n.name}`);
    if (c.state.status === 'running' || c.state.status === 'paused') await this.opts.networks.disconnect(c.record.id, n.id);
    c.record.networks.splice(idx, 1);
    await this.store.saveRecord(c);
    this.emit(c, 'disconnect', { network: n.name });
  }

  // ---- stop / kill / restart / pause ----------------------------------------------------

  private requireRunning(c: StoredContainer): void {
    if (c.state.status !== 'running' && c.state.status !== 'paused') {
      throw new Conflict(`container ${c.record.id.slice(0, 12)} is not running`);
    }
  }

  private waitExitEvent(c: StoredContainer, timeoutMs: number): Promise<boolean> {
    if (c.state.status !== 'running' && c.state.status !== 'paused') return Promise.resolve(true);
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(c.record.id) ?? [];
      const t = setTimeout(() => resolve(false), timeoutMs);
      list.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.exitWaiters.set(c.record.id, list);
      void this.checkExit(c);
    });
  }

  private signal(c: StoredContainer, sig: number): void {
    try {
      process.kill(c.state.pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  async stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.get(idOrName);
    const timer = this.restartTimers.get(c.record.id);
    if (timer) {
      clearTimeout(timer);
      this.restartTimers.delete(c.record.id);
      await this.setState(c, { status: 'exited', stoppedByUser: true });
      return;
    }
    const timeout = opts.timeout ?? c.record.stopTimeout;
    const sig = parseSignal(opts.signal ?? c.record.stopSignal);
    // the signal goes under the lock (the pid is the current run's); the wait does not
    const run = await this.withLock(c.record.id, async () => {
      if (c.state.status !== 'running' && c.state.status !== 'paused') return 0; // Docker: 304, not an error
      await this.setState(c, { stoppedByUser: true });
      if (c.state.status === 'paused') await this.cgroup(c).freeze(false).catch(() => {});
      this.signal(c, sig);
      return c.state.shimPid;
    });
    if (!run) return;
    if (timeout >= 0 && (await this.waitExitEvent(c, timeout * 1000))) return;
    await this.withLock(c.record.id, async () => {
      if (c.state.shimPid === run) await killCgroup(this.cgroup(c));
    });
    if (!(await this.waitExitEvent(c, 10_000))) throw new Unavailable(`container ${c.record.name} did not exit after SIGKILL`);
  }

  async kill(idOrName: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.store.get(idOrName);
    const sig = parseSignal(signal);
    await this.withLock(c.record.id, async () => {
      this.requireRunning(c);
      if (sig === 9) await this.setState(c, { stoppedByUser: true });
      if (c.state.status === 'paused' && sig === 9) await this.cgroup(c).freeze(false).catch(() => {});
      this.signal(c, sig);
    });
    this.emit(c, 'kill', { signal: String(sig) });
    if (sig === 9) await this.waitExitEvent(c, 10_000);
  }

  async restart(idOrName: string, opts: { timeout?: number } = {}): Promise<void> {
    const c = this.store.get(idOrName);
    await this.stop(c.record.id, opts);
    await this.withLock(c.record.id, () => this.startLocked(c, false));
    this.emit(c, 'restart');
  }

  async pause(idOrName: string): Promise<void> {
    const c = this.store.get(idOrName);
    await this.withLock(c.record.id, async () => {
      if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is already paused`);
      this.requireRunning(c);
      await this.cgroup(c).freeze(true);
      await this.setState(c, { status: 'paused' });
    });
    this.emit(c, 'pause');
  }

  async unpause(idOrName: string): Promise<void> {
    const c = this.store.get(idOrName);
    await this.withLock(c.record.id, async () => {
      if (c.state.status !== 'paused') throw new Conflict(`container ${c.record.name} is not paused`);
      await this.cgroup(c).freeze(false);
      await this.setState(c, { status: 'running' });
    });
    this.emit(c, 'unpause');
  }

  // ---- remove / rename -------------------------------------------------------------

  /**
   * Status check, kill and removal in one hold of the container's lock, so a start queued
   * meanwhile finds the container gone and one that ran before is killed: an `rm -f`
   * racing a `run` never leaves a running container without a record.
   */
  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.store.get(idOrName);
    const timer = this.restartTimers.get(c.record.id);
    if (timer) clearTimeout(timer);
    await this.withLock(c.record.id, async () => {
      if (!this.store.find(c.record.id)) return;
      if (c.state.status === 'running' || c.state.status === 'paused') {
        if (!opts.force) {
          throw new Conflict(`cannot remove container "${c.record.name}": container is ${c.state.status}: stop the container before removing or force remove`);
        }
        await this.killLocked(c);
      }
      await this.removeLocked(c, !!opts.volumes);
    });
  }

  /**
   * Needs no free disk space: the state write may fail (it is only a crash marker), the
   * directory leaves by a rename. The address and ports go only once no process is left.
   */
  private async removeLocked(c: StoredContainer, volumes = false): Promise<void> {
    if (!this.store.find(c.record.id)) return;
    await this.setState(c, { status: 'removing' });
    this.unmonitor(c.record.id);
    this.stopHealth(c);
    const cg = this.cgroup(c);
    if (!(await killCgroup(cg))) throw new Unavailable(`the processes of container ${c.record.name} did not exit after SIGKILL`);
    if (c.state.shimPid && !(await waitShimDone(c.dir, c.state.shimPid, 10_000))) lifecycleWarn('waiting for its shim', c.record.id, 'it did not exit');
    await cg.remove().catch((e) => lifecycleWarn('removing its cgroup', c.record.id, e));
    await this.opts.networks.teardown(c.record.id).catch((e) => lifecycleWarn('tearing down its network', c.record.id, e));
    await this.store.delete(c);
    // anonymous volumes go with `rm -v` and `--rm`; named volumes always stay
    if (volumes) await this.removeAnonymousVolumes(c.record.mounts);
    this.emit(c, 'destroy');
    const waiters = this.removeWaiters.get(c.record.id) ?? [];
    this.removeWaiters.delete(c.record.id);
    for (const w of waiters) w();
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const c = this.store.get(idOrName);
    const old = c.record.name;
    await this.store.rename(c, newName);
    this.emit(c, 'rename', { oldName: `/${old}` });
  }

  // ---- update -----------------------------------------------------------------------------

  /**
   * `docker update`: the new limits and restart policy go into the record, so a restart and
   * a restarted agent keep them; a running (or paused) container's cgroup takes them first,
   * and a refusal there leaves the record as it was.
   */
  async update(idOrName: string, u: ContainerUpdateSpec): Promise<{ warnings: string[] }> {
    const c = this.store.get(idOrName);
    await this.withLock(c.record.id, async () => {
      if (c.state.status === 'removing' || c.state.status === 'dead') throw new Conflict('container is marked for removal and cannot be "update"');
      const { spec, restartPolicy } = applyUpdate(c.record, u, cpus().length);
      if (c.state.status === 'running' || c.state.status === 'paused') {
        await this.cgroup(c).update({ memory: spec.memory, memorySwap: spec.memorySwap, nanoCpus: spec.nanoCpus, cpuShares: spec.cpuShares, pidsLimit: spec.pidsLimit });
      }
      c.record.spec = spec;
      c.record.restartPolicy = restartPolicy;
      await this.store.saveRecord(c);
    });
    this.emit(c, 'update');
    return { warnings: [] };
  }

  // ---- queries --------------------------------------------------------------------------

  async list(opts: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    const f = opts.filters ?? {};
    const all = opts.all || !!f.status?.length;
    const labelMatch = (labels: Record<string, string>, expr: string) => {
      const eq = expr.indexOf('=');
      return eq < 0 ? expr in labels : labels[expr.slice(0, eq)] === expr.slice(eq + 1);
    };
    const keep = (c: StoredContainer): boolean => {
      const status = c.state.status;
      if (!all && status !== 'running' && status !== 'paused' && status !== 'restarting') return false;
      if (f.status?.length && !f.status.includes(status)) return false;
      if (f.name?.length && !f.name.some((n) => c.record.name.includes(n.replace(/^\//, '')))) return false;
      if (f.id?.length && !f.id.some((i) => c.record.id.startsWith(i))) return false;
      if (f.label?.length && !f.label.every((l) => labelMatch(c.record.labels, l))) return false;
      if (f.health?.length && !f.health.includes(c.state.health?.Status ?? 'none')) return false;
      return true;
    };
    return this.summaries.list(JSON.stringify(opts), this.store.newestFirst(), keep, this.networkingOf);
  }

  async inspect(idOrName: string): Promise<Record<string, unknown>> {
    const c = this.store.get(idOrName);
    const lowers = await this.opts.images.layerDirs(c.record.imageId).catch(() => []);
    return containerInspect(c, lowers, this.opts.networks.networkingOf(c.record.id));
  }

  /** the stored container (for the agent's own bookkeeping, e.g. a TTY flag before attaching) */
  get(idOrName: string): StoredContainer {
    return this.store.get(idOrName);
  }

  logs(idOrName: string, opts: LogsOptions & { signal?: AbortSignal } = {}): AsyncIterable<LogEntry> {
    const c = this.store.get(idOrName);
    return readContainerLogs(c.dir, opts, () => this.logDone(c));
  }

  logChunks(idOrName: string, opts: LogsOptions & { signal?: AbortSignal } = {}): AsyncIterable<LogChunk[]> {
    const c = this.store.get(idOrName);
    return readContainerLogChunks(c.dir, opts, () => this.logDone(c));
  }

  /** the same lines as Docker's stream bytes: multiplexed frames, or raw for a TTY container (`raw`) */
  logStream(idOrName: string, opts: LogsOptions & LogStreamOptions & { signal?: AbortSignal } = {}): AsyncIterable<Buffer> {
    const c = this.store.get(idOrName);
    return readContainerLogStream(c.dir, opts, () => this.logDone(c));
  }

  /** a follow ends once the container stopped (and the log is drained) */
  private logDone(c: StoredContainer): boolean {
    return c.state.status !== 'running' && c.state.status !== 'paused' && c.state.status !== 'restarting';
  }

  async attach(idOrName: string): Promise<StdioSession> {
    const c = this.store.get(idOrName);
    this.requireRunning(c);
    return this.attachTo(c);
  }

  private async attachTo(c: StoredContainer, connection?: Promise<Socket>): Promise<StdioSession> {
    const session = new AttachSession(await (connection ?? connectAttachSocket(c.dir)));
    // 'exit' fires only once the runtime has recorded the exit too, so a caller can act on
    // the container (rm, inspect) right away. Without an exit frame (shim killed, or a
    // detach) the recorded exit code is used.
    let finished = false;
    const finish = (frameCode?: number) => {
      if (finished) return;
      finished = true;
      void this.wait(c.record.id).then(
        ({ statusCode }) => session.emit('exit', frameCode ?? statusCode),
        () => session.emit('exit', frameCode ?? 255),
      );
    };
    session.on('exitFrame', (code: number) => finish(code));
    session.on('close', () => {
      if (!session.exited && !session.detached && !finished) finish();
    });
    return session;
  }

  async exec(idOrName: string, spec: ExecSpec): Promise<StdioSession> {
    validateExecStrings(spec);
    const c = this.store.get(idOrName);
    return this.withLock(c.record.id, () => this.startExec(c, spec)); // no rm or start between its check and spawn
  }

  /** the one exec path: `exec` for callers, and the health monitor's probes */
  private async startExec(c: StoredContainer, spec: ExecSpec): Promise<ExecSession> {
    if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is paused, unpause the container before exec`);
    this.requireRunning(c);
    if (!spec.cmd?.length || !spec.cmd[0]) throw new InvalidArgument('no exec command specified');
    if (spec.workingDir && !spec.workingDir.startsWith('/')) throw new InvalidArgument(`the working directory '${spec.workingDir}' is invalid, it needs to be an absolute path`);
    const lowers = await this.opts.images.layerDirs(c.record.imageId);
    const user = await resolveUser(spec.user ?? c.record.user, [join(c.dir, 'upper'), ...lowers]);
    const confPath = join(c.dir, `exec-${randomBytes(6).toString('hex')}.conf`);
    await writeFile(
      confPath,
      formatShimConf([
        ['pid', c.state.pid],
        ['arg', spec.cmd],
        ['env', mergeEnv(c.record.env, spec.tty ? ['TERM=xterm'] : [], spec.env)],
        ['cwd', spec.workingDir || c.record.workingDir],
        ['uid', user.uid],
        ['gid', user.gid],
        ['group', user.groups],
        ['cap', spec.privileged ? ALL_CAPABILITIES : c.record.capabilities],
        ['noNewPrivileges', true],
        ['seccomp', spec.privileged ? 'unconfined' : 'default'],
        ['tty', !!spec.tty],
      ]),
    );
    this.emit(c, 'exec_start', { execCommand: spec.cmd.join(' ') });
    return new ExecSession(confPath, !!spec.tty, spec.stdin ?? false);
  }

  async top(idOrName: string, psArgs?: string): Promise<ProcessList> {
    const c = this.store.get(idOrName);
    this.requireRunning(c);
    return containerTop(await this.cgroup(c).pids(), psArgs);
  }

  async stats(idOrName: string): Promise<ContainerStats> {
    const c = this.store.get(idOrName);
    return sampleStats(c.record.id, this.cgroup(c), c.state.status === 'running' || c.state.status === 'paused' ? c.state.pid : 0);
  }

  /**
   * Docker's wait conditions: `not-running` returns at once for a stopped container,
   * `next-exit` waits for the next exit even from `created`, `removed` waits until the
   * container is gone (its exit code kept). Waiters are registered before any state is
   * re-read, so a container that starts, exits and is removed in a millisecond is not missed.
   */
  async wait(idOrName: string, opts: { signal?: AbortSignal; condition?: WaitCondition } = {}): Promise<{ statusCode: number }> {
    const c = this.store.get(idOrName);
    const condition = opts.condition ?? 'not-running';
    const active = () => c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting' || this.finishing.has(c.record.id);
    if (condition === 'not-running' && !active()) return { statusCode: c.state.exitCode };
    const map = condition === 'removed' ? this.removeWaiters : this.exitWaiters;
    if (condition === 'removed' && !this.store.find(c.record.id)) return { statusCode: c.state.exitCode };
    await new Promise<void>((resolve, reject) => {
      const list = map.get(c.record.id) ?? [];
      list.push(() => resolve());
      map.set(c.record.id, list);
      opts.signal?.addEventListener('abort', () => reject(new InvalidArgument('wait aborted')), { once: true });
      if (active()) void this.checkExit(c);
    });
    return { statusCode: c.state.exitCode };
  }

  async diff(idOrName: string): Promise<FileChange[]> {
    const c = this.store.get(idOrName);
    const upper = join(c.dir, 'upper');
    const lowers = await this.opts.images.layerDirs(c.record.imageId);
    return containerDiff(upper, lowers, await runtimePlaceholders(upper, lowers));
  }

  /**
   * `docker commit`: the container's upper dir becomes one layer on top of its image. The
   * config is the image's with the container's Env (without the runtime-added HOSTNAME and
   * TERM), Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts, StopSignal and Healthcheck, then
   * `changes` on top. A running container is frozen until the layer is written unless
   * `pause` is false.
   */
  async commit(idOrName: string, opts: CommitOptions = {}): Promise<{ id: string }> {
    const c = this.store.get(idOrName);
    const r = c.record;
    const image = await this.opts.images.resolve(r.imageId);
    const ic = image.config ?? {};
    const userEnv = new Set((r.spec.env ?? []).map((e) => e.split('=')[0]!));
    const env = r.env.filter((e) => {
      if (e === `HOSTNAME=${r.hostname}` && !userEnv.has('HOSTNAME')) return false;
      if (e === 'TERM=xterm' && r.spec.tty && !userEnv.has('TERM') && !(ic.Env ?? []).includes(e)) return false;
      return true;
    });
    const exposed: Record<string, object> = { ...(ic.ExposedPorts ?? {}) };
    for (const p of r.spec.ports ?? []) exposed[`${p.containerPort}/${p.protocol}`] = {};
    let config: NewImageSpec['config'] = {
      Env: env,
      Cmd: r.cmd,
      Entrypoint: r.entrypoint,
      WorkingDir: r.spec.workingDir || ic.WorkingDir || '',
      User: r.user,
      Labels: Object.keys(r.labels).length ? { ...r.labels } : (ic.Labels ?? null),
      ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
      StopSignal: r.spec.stopSignal ?? ic.StopSignal,
      Healthcheck: r.healthcheck ?? ic.Healthcheck,
    };
    config = applyChanges(opts.config ?? config, opts.changes ?? []);

    let frozen = false;
    const thaw = async () => {
      if (!frozen) return;
      frozen = false;
      await this.cgroup(c).freeze(false).catch(() => {});
    };
    if (opts.pause !== false && c.state.status === 'running') {
      await this.withLock(r.id, async () => {
        if (c.state.status !== 'running') return;
        await this.cgroup(c).freeze(true);
        frozen = true;
      });
    }
    const upper = join(c.dir, 'upper');
    let created: ImageInspect;
    try {
      created = await this.opts.images.createImage({
        parent: r.imageId,
        source: { kind: 'overlay-upper', dir: upper, exclude: await runtimePlaceholders(upper, await this.opts.images.layerDirs(r.imageId)) },
        config,
        history: { created_by: opts.createdBy ?? [r.path, ...r.args].join(' '), comment: opts.message || undefined, author: opts.author || undefined },
        author: opts.author,
        ref: opts.ref,
        onLayerWritten: thaw,
      });
    } finally {
      await thaw();
    }
    this.emit(c, 'commit', { comment: opts.message ?? '', imageID: created.id, imageRef: opts.ref ?? '' });
    return { id: created.id };
  }

  async copyFrom(idOrName: string, path: string): Promise<NodeJS.ReadableStream> {
    const c = this.store.get(idOrName);
    if (c.state.status === 'running' || c.state.status === 'paused') return packFromRootFd(openContainerRoot(c.state.pid, c.record.id), path);
    // A stopped container's files are read through a temporary overlay mount, released
    // once the tar stream ends.
    const release = await this.mountRootfs(c);
    try {
      const stream = await packFromRoot(join(c.dir, 'rootfs'), path);
      let released = false;
      const done = () => {
        if (!released) {
          released = true;
          release();
        }
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
      return stream;
    } catch (e) {
      release();
      throw e;
    }
  }

  async copyTo(idOrName: string, path: string, tarStream: NodeJS.ReadableStream): Promise<void> {
    const c = this.store.get(idOrName);
    if (c.state.status === 'running' || c.state.status === 'paused') {
      await unpackIntoRootFd(openContainerRoot(c.state.pid, c.record.id), path, tarStream).catch((e: unknown) => Promise.reject(copyError(e)));
      return;
    }
    const release = await this.mountRootfs(c);
    try {
      await unpackIntoRoot(join(c.dir, 'rootfs'), path, tarStream).catch((e: unknown) => Promise.reject(copyError(e)));
    } finally {
      release();
    }
  }

  /**
   * `docker export`: the container's filesystem (image layers plus its changes; no volumes,
   * bind mounts or /proc) as a tar stream. It reads a private read-only overlay of the
   * container's upper dir over the image layers (no upper/work dir, so it never clashes with
   * the container's own mount), unmounted once the stream ends.
   */
  async export(idOrName: string): Promise<Readable> {
    const c = this.store.get(idOrName);
    const lowers = await this.opts.images.layerDirs(c.record.imageId);
    const target = join(c.dir, `export-${randomBytes(4).toString('hex')}`);
    await mkdir(target);
    let mounted = false;
    const release = () => {
      if (mounted) {
        mounted = false;
        try {
          umount2(target, MNT_DETACH);
        } catch {
          /* already gone */
        }
      }
      void rmdir(target).catch(() => {});
    };
    try {
      nativeMount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${[join(c.dir, 'upper'), ...lowers].join(':')}`);
      mounted = true;
      const stream = await packFromRoot(target, '/.');
      stream.once('end', release);
      stream.once('close', release);
      stream.once('error', release);
      return stream;
    } catch (e) {
      release();
      throw e;
    }
  }

  private async mountRootfs(c: StoredContainer): Promise<() => void> {
    const lowers = await this.opts.images.layerDirs(c.record.imageId);
    const target = join(c.dir, 'rootfs');
    await mkdir(target, { recursive: true });
    const data = `lowerdir=${lowers.join(':')},upperdir=${join(c.dir, 'upper')},workdir=${join(c.dir, 'work')}`;
    nativeMount('overlay', target, 'overlay', 0, data);
    return () => {
      try {
        umount2(target, MNT_DETACH);
      } catch {
        /* already gone */
      }
    };
  }

  /** `container prune`: every stopped container */
  async prune(): Promise<{ deleted: string[] }> {
    const deleted: string[] = [];
    for (const c of this.store.newestFirst()) {
      if (c.state.status !== 'exited' && c.state.status !== 'created' && c.state.status !== 'dead') continue;
      await this.remove(c.record.id).then(() => deleted.push(c.record.id), () => {});
    }
    return { deleted };
  }

  /** bytes in each container's writable layer (`system df`) */
  async diskUsage(): Promise<{ id: string; name: string; size: number }[]> {
    const out: { id: string; name: string; size: number }[] = [];
    for (const c of this.store.newestFirst()) out.push({ id: c.record.id, name: c.record.name, size: await treeSize(join(c.dir, 'upper')) });
    return out;
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = this.store.newestFirst();
    const running = all.filter((c) => c.state.status === 'running').length;
    const paused = all.filter((c) => c.state.status === 'paused').length;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }
}
