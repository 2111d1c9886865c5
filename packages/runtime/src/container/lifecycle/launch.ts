import type { Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Conflict, NotFound, type SkiffError } from '../../errors.js';
import { type ContainerContext, nowIso } from '../context.js';
import { healthSchedule } from '../health/health-config.js';
import { startHealth, stopHealth } from '../health/supervise.js';
import { embeddedDnsOf, writeEtcFiles } from '../shim/etc-files.js';
import { formatShimConf } from '../shim/shim-conf.js';
import { launchShim } from '../shim/shim-launcher.js';
import { StartTimeline } from '../shim/start-timeline.js';
import { cgroupMountLines } from '../cgroup/cgroup-mounts.js';
import { cgroupLimitsOf } from '../cgroup/cgroups.js';
import { processEnv } from '../spec/container-spec.js';
import { kernelConfLines } from '../spec/kernel-conf.js';
import { shimMountLines } from '../spec/mounts.js';
import { resolveUser } from '../spec/user.js';
import { connectAttachSocket } from '../stdio/attach-client.js';
import type { StoredContainer } from '../store/container-store.js';
import { networkMode, portsOf } from '../store/record-helpers.js';
import { killCgroup } from './cgroup-kill.js';
import { diskFullError } from './disk-errors.js';
import { lifecycleWarn } from './log.js';
import { attachedNetworks, networkEvents } from './network-events.js';
import { liveOwner, readPidFile } from './shim-process.js';
import { logFailure } from '@skiff/logger';
import { lifecycleLog as log } from './log.js';

/** exit watch and health checks for a container whose shim runs */
export function supervise(ctx: ContainerContext, c: StoredContainer): void {
  ctx.exits.watch(c);
  startHealth(ctx, c);
}

/** `/etc/hosts` lines for `--link` and `--add-host` */
function hostEntriesOf(ctx: ContainerContext, c: StoredContainer): [string, ...string[]][] {
  const spec = c.record.spec;
  const hostEntries: [string, ...string[]][] = [];
  for (const l of spec.links ?? []) {
    const [ref, alias] = l.split(':');
    const target = ctx.store.get(ref!);
    const ip = ctx.opts.networks.networkingOf(target.record.id)?.endpoints[0]?.ip;
    if (!ip) throw new Conflict(`cannot link to ${ref}: the container is not running on a bridge network`);
    hostEntries.push([ip, ...(alias ? [alias] : []), target.record.name, target.record.id.slice(0, 12)]);
  }
  for (const h of spec.extraHosts ?? []) {
    const i = h.indexOf(':');
    hostEntries.push([h.slice(i + 1), h.slice(0, i)]);
  }
  return hostEntries;
}

/**
 * Starts the container's shim; the caller holds the container's lock. With `waitAttach`
 * the container's process execs only once a client is connected to the shim's attach
 * socket; `attach` is that connection, opened as soon as the shim is up.
 */
export async function startLocked(ctx: ContainerContext, c: StoredContainer, waitAttach: boolean): Promise<{ attach?: Promise<Socket> }> {
  if (c.state.status === 'running') return {};
  if (c.state.status === 'paused') throw new Conflict(`container ${c.record.name} is paused, unpause it instead`);
  if (c.state.status === 'removing') throw new Conflict(`container ${c.record.name} is being removed`);
  if (!ctx.store.find(c.record.id)) throw new NotFound(`no such container: ${c.record.name}`);
  // a shim this agent lost track of still owns the dir: that run is the container's
  if (adoptOwner(ctx, c)) return {};
  const r = c.record;
  const spec = r.spec;
  const timeline = ctx.opts.onStartPhases ? new StartTimeline() : undefined;
  const lowers = await ctx.opts.images.layerDirs(r.imageId);
  const upper = join(c.dir, 'upper');
  const cg = ctx.cgroup(c);
  const network = networkMode(spec.network);
  let netns: string | undefined;
  let attach: Promise<Socket> | undefined;
  await cg.create(cgroupLimitsOf(spec));
  try {
    timeline?.mark('image layers and cgroups');
    const user = await resolveUser(r.user, [upper, ...lowers]);
    const hostEntries = hostEntriesOf(ctx, c);
    let ip: string | undefined;
    let dnsServer: string | undefined;
    timeline?.mark('user and links');
    if (network === 'bridge') {
      const net = await ctx.opts.networks.setup(r.id, r.name, r.networks, portsOf(c.record));
      netns = net.netns;
      ip = net.endpoints[0]?.ip;
      dnsServer = embeddedDnsOf(net, (id) => !!ctx.opts.networks.get(id).isDefault);
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
      ['env', processEnv(r, !!spec.tty)],
      ['cwd', r.workingDir],
      ['uid', user.uid],
      ['gid', user.gid],
      ['group', user.groups],
      ['cap', r.capabilities],
      ['noNewPrivileges', true],
      ['seccomp', 'default'],
      ['tty', !!spec.tty],
      ['consoleSize', spec.tty && spec.consoleSize ? spec.consoleSize.join(' ') : undefined],
      ['stdin', !!spec.openStdin],
      ['waitAttach', waitAttach],
      ['init', !!spec.init],
      ['cgroup', cg.joinDirs],
      ['cgroupMount', cgroupMountLines(cg.joinDirs)],
      ['cgroupns', spec.cgroupns === 'host' ? 'host' : undefined],
      ['oomFile', cg.oomFile],
      ['hostsFile', join(c.dir, 'hosts')],
      ['hostnameFile', join(c.dir, 'hostname')],
      ['resolvFile', join(c.dir, 'resolv.conf')],
      ['mount', shimMountLines(r.mounts ?? [])],
      ...kernelConfLines(spec),
      ['logPath', join(c.dir, 'container.log')],
      ['logMaxSize', ctx.opts.logMaxSize ?? 20 * 1024 * 1024],
      ['logMaxFiles', ctx.opts.logMaxFiles ?? 5],
      ['trace', timeline ? true : undefined],
    ]);
    writeFileSync(join(c.dir, 'shim.conf'), conf);
    rmSync(join(c.dir, 'exit.json'), { force: true });
    timeline?.mark('etc files and shim.conf');
    const { pid, shimPid } = await launchShim(c.dir, timeline);
    // the process waits for it: connect while state.json is written, not after
    if (waitAttach) {
      attach = connectAttachSocket(c.dir);
      // debug: the caller awaits it and gets the error; a start that fails drops it below
      attach.catch(logFailure(log, 'debug', 'connecting to the attach socket', { container: r.id }));
    }
    // Docker: every start begins "starting" with a clear streak; the log carries over
    const health = healthSchedule(r.healthcheck, r.healthShell) ? { Status: 'starting' as const, FailingStreak: 0, Log: c.state.health?.Log ?? [] } : undefined;
    await ctx.setState(c, {
      status: 'running',
      pid,
      shimPid,
      startedAt: nowIso(),
      exitCode: 0,
      oomKilled: false,
      error: '',
      stoppedByUser: false,
      health,
    });
    timeline?.mark('state.json');
  } catch (e) {
    attach?.then(
      (s) => s.destroy(),
      () => {},
    );
    // a shim that died after cloning leaves the container's process in the cgroup: kill it
    // first, or the removal fails and the process lives on unknown to anyone
    await killCgroup(cg).catch((k) => lifecycleWarn('killing the cgroup of a failed start', r.id, k));
    await cg.remove().catch((k) => lifecycleWarn('removing the cgroup of a failed start', r.id, k));
    if (netns) await ctx.opts.networks.teardown(r.id).catch((k) => lifecycleWarn('tearing down the network of a failed start', r.id, k));
    const err = diskFullError(e, `starting container ${r.name}`) as SkiffError;
    await ctx.setState(c, { error: err.message, exitCode: err.exitStatus ?? 125 });
    throw err;
  }
  ctx.exits.watch(c);
  stopHealth(ctx, c); // a monitor left from the previous run would keep its old schedule
  startHealth(ctx, c);
  networkEvents(ctx, c, 'connect', attachedNetworks(ctx, c)); // dockerd joins the networks before its start event
  ctx.emit(c, 'start');
  if (timeline) ctx.opts.onStartPhases!(r.id, timeline.phases);
  return { attach };
}

/**
 * Start's check for a second instance: when a live shim already owns the container dir
 * (a run this agent did not record) it is adopted as the container's run instead. One
 * stat when no shim runs; the shim's own flock refuses a second instance regardless.
 */
function adoptOwner(ctx: ContainerContext, c: StoredContainer): boolean {
  const shimPid = liveOwner(c.dir);
  const pid = shimPid && readPidFile(c.dir, 'init.pid');
  if (!pid) return false;
  void ctx.setState(c, { status: 'running', pid, shimPid, startedAt: nowIso(), exitCode: 0, error: '' });
  supervise(ctx, c);
  return true;
}
