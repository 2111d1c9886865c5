import { join } from 'node:path';
import type { ContainerSummary } from '../types.js';
import type { StoredContainer } from './container-store.js';
import { humanDuration } from './human-duration.js';
import { inspectMounts } from './mounts.js';

/** Docker's `docker inspect` JSON for a container, derived from the record and state on disk. */
export function containerInspect(c: StoredContainer, lowerDirs: string[]): Record<string, unknown> {
  const { record: r, state: s, dir } = c;
  const spec = r.spec;
  const network = spec.network ?? 'none';
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
      RestartPolicy: { Name: r.restartPolicy.name, MaximumRetryCount: r.restartPolicy.name === 'on-failure' ? (r.restartPolicy.maximumRetryCount ?? 0) : 0 },
      AutoRemove: !!spec.autoRemove,
      CapAdd: spec.capAdd ?? null,
      CapDrop: spec.capDrop ?? null,
      Privileged: false,
      ReadonlyRootfs: !!spec.readOnly,
      Init: spec.init ?? null,
      Memory: spec.memory ?? 0,
      MemorySwap: spec.memorySwap ?? (spec.memory ? spec.memory * 2 : 0),
      NanoCpus: spec.nanoCpus ?? 0,
      CpuShares: spec.cpuShares ?? 0,
      PidsLimit: spec.pidsLimit ?? null,
      LogConfig: { Type: 'json-file', Config: {} },
      Binds: (r.mounts ?? []).filter((m) => m.type === 'bind' || (m.type === 'volume' && !m.anonymous)).map((m) => `${m.name ?? m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
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
      Env: r.env,
      Cmd: r.cmd,
      Image: r.image,
      WorkingDir: r.workingDir,
      Entrypoint: r.entrypoint,
      Labels: r.labels,
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
    },
    NetworkSettings: {
      Networks: { [network]: { IPAddress: '', Gateway: '', MacAddress: '', NetworkID: network } },
      IPAddress: '',
      Gateway: '',
      MacAddress: '',
      Ports: {},
      SandboxKey: s.pid && network !== 'host' ? `/proc/${s.pid}/ns/net` : '',
    },
  };
}

export function statusText(c: StoredContainer, now = Date.now()): string {
  const s = c.state;
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(now - Date.parse(s.startedAt))}`;
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'exited':
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Dead';
  }
}

export function containerSummary(c: StoredContainer): ContainerSummary {
  const r = c.record;
  return {
    id: r.id,
    names: [`/${r.name}`],
    image: r.image,
    imageId: r.imageId,
    command: [r.path, ...r.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' '),
    created: Math.floor(Date.parse(r.created) / 1000),
    state: c.state.status === 'dead' ? 'dead' : c.state.status,
    status: statusText(c),
    labels: r.labels,
  };
}
