import { applyTmpfsOptions, parseRestartPolicy, type ContainerCreateSpec, type MountRequest, type PortBinding } from '@skiff/runtime';
import type { ComposeProject, ServiceConfig, ServicePort } from '../model.js';
import { COMPOSE_VERSION, LABEL } from './labels.js';

export interface ReplicaSpec {
  spec: ContainerCreateSpec;
  /** networks joined after create (the first one is in the spec), with their aliases */
  extraNetworks: { network: string; aliases: string[]; ip?: string }[];
}

export function containerName(project: ComposeProject, service: ServiceConfig, number: number): string {
  return service.containerName ?? `${project.name}-${service.name}-${number}`;
}

/** the image a service runs: its `image:`, or for a build without one `<project>-<service>` as Compose names it */
export function serviceImage(project: ComposeProject, service: ServiceConfig): string {
  return service.image ?? `${project.name}-${service.name}`;
}

function ports(list: ServicePort[]): PortBinding[] {
  return list.map((p) => {
    // a published range for one port takes its first port; the runtime has no "any in range"
    const host = p.published ? Number(p.published.split('-')[0]) : undefined;
    return { containerPort: p.target, protocol: p.protocol, hostIp: p.hostIp, hostPort: host };
  });
}

/** the service's healthcheck over the image's, field by field; `disable` is `test: ['NONE']` as `--no-healthcheck` */
function healthcheck(service: ServiceConfig): ContainerCreateSpec['healthcheck'] {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { test: ['NONE'] };
  return { test: h.test, interval: h.interval, timeout: h.timeout, startPeriod: h.startPeriod, startInterval: h.startInterval, retries: h.retries };
}

function mounts(project: ComposeProject, service: ServiceConfig): MountRequest[] {
  return service.volumes.map((v) => {
    if (v.type === 'volume')
      return { type: 'volume', source: v.source ? (project.volumes[v.source]?.name ?? v.source) : undefined, target: v.target, readOnly: v.readOnly };
    if (v.type === 'tmpfs') {
      const m: MountRequest = { type: 'tmpfs', target: v.target, readOnly: v.readOnly, tmpfsSize: v.tmpfsSize, tmpfsMode: v.tmpfsMode };
      return v.tmpfsOptions === undefined ? m : applyTmpfsOptions(m, v.tmpfsOptions, `service ${service.name} tmpfs ${v.target}`);
    }
    return { type: 'bind', source: v.source, target: v.target, readOnly: v.readOnly };
  });
}

/**
 * One replica of a service as a container spec. The service name (and its aliases) is a
 * DNS alias on every network it joins, which is how `app` reaches `db:3306`.
 */
export function replicaSpec(project: ComposeProject, service: ServiceConfig, number: number, imageRef: string, hash: string): ReplicaSpec {
  const labels: Record<string, string> = {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(number),
    [LABEL.configHash]: hash,
    [LABEL.oneoff]: 'False',
    [LABEL.workingDir]: project.workingDir,
    [LABEL.version]: COMPOSE_VERSION,
  };
  const nets = Object.entries(service.networks).map(([key, opts]) => ({
    network: project.networks[key]?.name ?? key,
    aliases: [service.name, ...opts.aliases.filter((a) => a !== service.name)],
    ip: opts.ipv4Address,
  }));
  const [primary, ...extraNetworks] = nets;
  const spec: ContainerCreateSpec = {
    image: imageRef,
    name: containerName(project, service, number),
    cmd: service.command,
    entrypoint: service.entrypoint,
    env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`),
    labels,
    hostname: service.hostname,
    workingDir: service.workingDir,
    user: service.user,
    tty: service.tty,
    openStdin: service.stdinOpen,
    init: service.init,
    readOnly: service.readOnly,
    capAdd: service.capAdd.length ? service.capAdd : undefined,
    capDrop: service.capDrop.length ? service.capDrop : undefined,
    restartPolicy: service.restart ? parseRestartPolicy(service.restart) : undefined,
    network: service.networkMode ?? primary?.network ?? 'none',
    networkAliases: service.networkMode ? undefined : primary?.aliases,
    ip: service.networkMode ? undefined : primary?.ip,
    memory: service.memory,
    nanoCpus: service.cpus ? Math.round(service.cpus * 1e9) : undefined,
    stopSignal: service.stopSignal,
    stopTimeout: service.stopGracePeriod,
    mounts: mounts(project, service),
    ports: ports(service.ports),
    extraHosts: service.extraHosts.length ? service.extraHosts : undefined,
    dns: service.dns.length ? service.dns : undefined,
    healthcheck: healthcheck(service),
    shmSize: service.shmSize || undefined,
    ulimits: service.ulimits?.length ? service.ulimits : undefined,
    sysctls: service.sysctls && Object.keys(service.sysctls).length ? service.sysctls : undefined,
    cpusetCpus: service.cpuset || undefined,
  };
  return { spec, extraNetworks: service.networkMode ? [] : extraNetworks };
}
