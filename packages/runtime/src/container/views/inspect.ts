import { join } from 'node:path';
import type { ContainerInspect, EndpointSettings, PortMap } from '@skiff/docker-types';
import type { ContainerSummary, MountRequest } from '../../types.js';
import type { StoredContainer } from '../store/container-store.js';
import { humanDuration } from './human-duration.js';
import { inspectMounts } from '../spec/mounts.js';
import type { ContainerNetworking } from '../../network/network-manager.js';

/** HostConfig.Tmpfs: the tmpfs mounts given with options (`--tmpfs`, HostConfig.Tmpfs, compose) */
function tmpfsOf(mounts: MountRequest[] | undefined): Record<string, string> | null {
  const t = (mounts ?? []).filter((m) => m.type === 'tmpfs' && m.tmpfsOptions);
  if (!t.length) return null;
  const opts = (m: MountRequest) => [
    ...(m.readOnly ? ['ro'] : []),
    ...(m.tmpfsOptions ?? []),
    ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : []),
    ...(m.tmpfsMode !== undefined ? [`mode=${m.tmpfsMode.toString(8)}`] : []),
  ];
  return Object.fromEntries(t.map((m) => [m.target, opts(m).join(',')]));
}

/** Docker's `docker inspect` JSON for a container, derived from the record and state on disk. */
export function containerInspect(c: StoredContainer, lowerDirs: string[], net?: ContainerNetworking): ContainerInspect {
  const { record: r, state: s, dir } = c;
  const spec = r.spec;
  const network = spec.network || 'bridge';
  const first = net?.endpoints[0];
  const ports: PortMap = {};
  for (const e of r.exposedPorts ?? []) ports[e.includes('/') ? e : `${e}/tcp`] = null;
  for (const p of spec.ports ?? []) ports[`${p.containerPort}/${p.protocol}`] ??= null;
  for (const p of net?.ports ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= [])!.push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  const networks: Record<string, EndpointSettings> = {};
  // dockerd sends every EndpointSettings field for host and none too, empty
  if (network === 'host' || network === 'none')
    networks[network] = { IPAMConfig: null, Aliases: null, NetworkID: network, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' };
  for (const req of r.networks ?? []) {
    const ep = net?.endpoints.find((e) => e.networkName === req.network || e.networkId === req.network);
    networks[req.network] = {
      IPAMConfig: req.ip ? { IPv4Address: req.ip } : null,
      Aliases: req.aliases ?? null,
      NetworkID: ep?.networkId ?? '',
      EndpointID: ep ? ep.hostVeth : '',
      Gateway: ep?.gateway ?? '',
      IPAddress: ep?.ip ?? '',
      IPPrefixLen: ep?.prefix ?? 0,
      MacAddress: ep?.mac ?? '',
    };
  }
  return {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.status === 'running' || s.status === 'paused' ? s.pid : 0,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      // a copy: the monitor keeps updating the live one
      ...(s.health ? { Health: structuredClone(s.health) } : {}),
    },
    Image: r.imageId,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: join(dir, 'container.log'),
    Name: `/${r.name}`,
    RestartCount: s.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    HostConfig: {
      NetworkMode: network,
      PortBindings: Object.fromEntries(
        (spec.ports ?? []).map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp ?? '', HostPort: p.hostPort ? String(p.hostPort) : '' }]]),
      ),
      PublishAllPorts: !!spec.publishAll,
      Links: spec.links ?? null,
      Dns: spec.dns ?? [],
      ExtraHosts: spec.extraHosts ?? null,
      RestartPolicy: { Name: r.restartPolicy.name, MaximumRetryCount: r.restartPolicy.name === 'on-failure' ? (r.restartPolicy.maximumRetryCount ?? 0) : 0 },
      AutoRemove: !!spec.autoRemove,
      CapAdd: spec.capAdd ?? null,
      CapDrop: spec.capDrop ?? null,
      Privileged: false,
      ReadonlyRootfs: !!spec.readOnly,
      Init: spec.init ?? null,
      CgroupnsMode: spec.cgroupns ?? 'private',
      Memory: spec.memory ?? 0,
      MemorySwap: spec.memorySwap ?? (spec.memory ? spec.memory * 2 : 0),
      NanoCpus: spec.nanoCpus ?? 0,
      CpuShares: spec.cpuShares ?? 0,
      PidsLimit: spec.pidsLimit ?? null,
      CpusetCpus: spec.cpusetCpus ?? '',
      CpusetMems: spec.cpusetMems ?? '',
      ShmSize: spec.shmSize || 64 * 1024 * 1024,
      Ulimits: spec.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) ?? null,
      Sysctls: spec.sysctls ?? null,
      Tmpfs: tmpfsOf(spec.mounts),
      LogConfig: { Type: 'json-file', Config: {} },
      Binds: (r.mounts ?? [])
        .filter((m) => m.type === 'bind' || (m.type === 'volume' && !m.anonymous))
        .map((m) => `${m.name ?? m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
      VolumesFrom: spec.volumesFrom ?? null,
    },
    GraphDriver: {
      Name: 'overlay',
      Data: { LowerDir: lowerDirs.join(':'), UpperDir: join(dir, 'upper'), WorkDir: join(dir, 'work'), MergedDir: join(dir, 'rootfs') },
    },
    Mounts: inspectMounts(r.mounts ?? []),
    Config: {
      Hostname: r.hostname,
      Domainname: '',
      User: r.user,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: !!spec.tty,
      OpenStdin: !!spec.openStdin,
      StdinOnce: false,
      ...(r.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(r.exposedPorts.map((e) => [e.includes('/') ? e : `${e}/tcp`, {}])) } : {}),
      Env: r.env,
      Cmd: r.cmd,
      Image: r.image,
      WorkingDir: r.workingDir,
      Entrypoint: r.entrypoint,
      Labels: r.labels,
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
      ...(r.healthcheck ? { Healthcheck: r.healthcheck } : {}),
    },
    NetworkSettings: {
      Networks: networks,
      IPAddress: first?.ip ?? '',
      IPPrefixLen: first?.prefix ?? 0,
      Gateway: first?.gateway ?? '',
      MacAddress: first?.mac ?? '',
      Ports: ports,
      SandboxKey: net?.netns ?? (s.pid && network !== 'host' ? `/proc/${s.pid}/ns/net` : ''),
    },
  };
}

export function statusText(c: StoredContainer, now = Date.now()): string {
  return statusTextSince(c, now, Date.parse(statusSince(c.state)));
}

/** the time a status text counts from: the start while the container is up, the finish otherwise */
export function statusSince(s: StoredContainer['state']): string {
  return s.status === 'running' || s.status === 'paused' ? s.startedAt : s.finishedAt;
}

/** statusText with the start (running, paused) or finish time it counts from already parsed */
export function statusTextSince(c: StoredContainer, now: number, sinceMs: number): string {
  const s = c.state;
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(now - sinceMs)}${healthSuffix(c)}`;
    case 'paused':
      return `Up ${humanDuration(now - sinceMs)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - sinceMs)} ago`;
    case 'exited':
      return `Exited (${s.exitCode}) ${humanDuration(now - sinceMs)} ago`;
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Dead';
  }
}

/** Docker's State.String(): " (health: starting)", " (healthy)", " (unhealthy)" */
function healthSuffix(c: StoredContainer): string {
  const h = c.state.health;
  if (!h) return '';
  return h.Status === 'starting' ? ' (health: starting)' : ` (${h.Status})`;
}

/** the parts of a summary that only change with the record (not at all, but a rename), worked out once: `ps` builds a thousand summaries a call */
const recordParts = new WeakMap<StoredContainer['record'], { command: string; created: number }>();

function partsOf(r: StoredContainer['record']): { command: string; created: number } {
  let p = recordParts.get(r);
  if (!p) {
    p = { command: [r.path, ...r.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' '), created: Math.floor(Date.parse(r.created) / 1000) };
    recordParts.set(r, p);
  }
  return p;
}

export function containerSummary(c: StoredContainer, net?: ContainerNetworking, status = statusText(c)): ContainerSummary {
  const r = c.record;
  const parts = partsOf(r);
  const ports: ContainerSummary['ports'] = (net?.ports ?? []).map((p) => ({
    privatePort: p.containerPort,
    publicPort: p.hostPort,
    type: p.protocol,
    ip: p.hostIp,
  }));
  for (const e of r.exposedPorts ?? []) {
    const [port, proto = 'tcp'] = e.split('/');
    if (!ports.some((p) => p.privatePort === Number(port) && p.type === proto)) ports.push({ privatePort: Number(port), type: proto as 'tcp' | 'udp' });
  }
  return {
    id: r.id,
    names: [`/${r.name}`],
    image: r.image,
    imageId: r.imageId,
    command: parts.command,
    created: parts.created,
    state: c.state.status === 'dead' ? 'dead' : c.state.status,
    status,
    ...(c.state.health && c.state.status === 'running' ? { health: c.state.health.Status } : {}),
    labels: r.labels,
    ports,
    networks: r.networks?.length ? r.networks.map((n) => n.network) : [r.spec.network || 'bridge'],
    ...(net?.endpoints.length ? { ipAddresses: net.endpoints.map((e) => e.ip) } : {}),
  };
}
