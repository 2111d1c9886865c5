import { parseVolumeFlag, type ContainerCreateSpec, type MountRequest, type PortBinding, type RestartPolicy } from '@skiff/runtime';
import type { ContainerCreateRequest, ContainerMountRequest, HostConfigRequest } from '@skiff/docker-types';
import { parseCreateBody } from './create-body.js';
import { kernelFieldsFromDocker } from './create-kernel.js';
import { deepZero, refuseUnsupportedCreateFields } from './create-refusals.js';
import { DockerApiError } from './http.js';

const words = (v: string[] | string | null | undefined) => (v == null ? undefined : Array.isArray(v) ? v : [v]);

function ports(bindings: HostConfigRequest['PortBindings']): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, hosts] of Object.entries(bindings ?? {})) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(key);
    if (!m) throw new DockerApiError(400, `invalid port specification: "${key}"`);
    for (const h of hosts?.length ? hosts : [{}]) {
      out.push({
        containerPort: Number(m[1]),
        protocol: (m[2] ?? 'tcp') as 'tcp' | 'udp',
        hostIp: h.HostIp || undefined,
        hostPort: h.HostPort ? Number(h.HostPort) : undefined,
      });
    }
  }
  return out;
}

/**
 * Docker's `RestartPolicy` (create and update) as the runtime's, checked as dockerd's
 * ValidateRestartPolicy does; an empty name is none given.
 */
export function restartPolicyFromDocker(p: { Name?: string; MaximumRetryCount?: number } | null | undefined): RestartPolicy | undefined {
  if (!p?.Name) return undefined;
  const retries = p.MaximumRetryCount ?? 0;
  if (p.Name === 'no' || p.Name === 'always' || p.Name === 'unless-stopped') {
    if (retries !== 0)
      throw new DockerApiError(
        400,
        `invalid restart policy: maximum retry count can only be used with 'on-failure'${retries < 0 ? ' and cannot be negative' : ''}`,
      );
    return { name: p.Name };
  }
  if (p.Name === 'on-failure') {
    if (retries < 0) throw new DockerApiError(400, 'invalid restart policy: maximum retry count cannot be negative');
    return { name: 'on-failure', maximumRetryCount: retries || undefined };
  }
  throw new DockerApiError(400, `invalid restart policy: unknown policy '${p.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
}

/** the option blocks of a `--mount` the runtime applies; anything else in them is refused, not dropped */
function mountOptions(m: ContainerMountRequest): Partial<MountRequest> {
  const { BindOptions: b, VolumeOptions: v, TmpfsOptions: t } = m;
  const leftover = (what: string, o: Record<string, unknown> | null | undefined, applied: string[], ok: Record<string, unknown> = {}) => {
    for (const [k, val] of Object.entries(o ?? {})) {
      if (applied.includes(k) || deepZero(val) || ok[k] === val) continue;
      throw new DockerApiError(400, `Mounts[].${what}.${k} is not supported by Skiff (value ${JSON.stringify(val)}) for the mount at ${m.Target}`);
    }
  };
  leftover('BindOptions', b, [], { Propagation: 'rprivate' });
  leftover('VolumeOptions', v, ['NoCopy']);
  leftover('TmpfsOptions', t, ['SizeBytes', 'Mode']);
  const out: Partial<MountRequest> = {};
  if (v?.NoCopy) out.noCopy = true;
  if (t?.SizeBytes) out.tmpfsSize = t.SizeBytes;
  // the CLI sends the octal it was given as the number (dockerd prints it back with %o)
  if (t?.Mode) out.tmpfsMode = t.Mode & 0o7777;
  return out;
}

function mounts(body: ContainerCreateRequest, h: HostConfigRequest, tmpfs: MountRequest[]): MountRequest[] {
  const out: MountRequest[] = (h.Binds ?? []).map((b) => parseVolumeFlag(b));
  for (const m of h.Mounts ?? []) {
    if (m.Type !== 'bind' && m.Type !== 'volume' && m.Type !== 'tmpfs') throw new DockerApiError(400, `mount type "${m.Type}" is not supported`);
    if (!m.Target) throw new DockerApiError(400, 'a mount needs a Target');
    out.push({ type: m.Type, source: m.Source || undefined, target: m.Target, readOnly: m.ReadOnly, ...mountOptions(m) });
  }
  out.push(...tmpfs);
  // `docker run -v /data`: an anonymous volume, unless something else is mounted there
  const taken = new Set(out.map((m) => m.target.replace(/\/+$/, '')));
  for (const target of Object.keys(body.Volumes ?? {})) {
    if (!taken.has(target.replace(/\/+$/, ''))) out.push({ type: 'volume', source: '', target });
  }
  return out;
}

/** `HostConfig.CgroupnsMode`: empty is the daemon's default (private, as Docker on cgroup v2) */
function cgroupnsFromDocker(mode: string | undefined): 'private' | 'host' | undefined {
  if (!mode) return undefined;
  if (mode === 'private' || mode === 'host') return mode;
  throw new DockerApiError(400, `invalid cgroup namespace mode: ${mode}`);
}

/** Docker's create body (plus `?name=`) as the runtime's spec: its shape checked, then what it asks for */
export function createSpecFromDocker(raw: unknown, name: string | undefined): ContainerCreateSpec {
  const body = parseCreateBody(raw);
  if (!body.Image) throw new DockerApiError(400, 'config cannot be empty in order to create a container: no image');
  // on the raw body: the parsed one has lost the fields Skiff does not serve
  refuseUnsupportedCreateFields(raw as Record<string, unknown>);
  const h = body.HostConfig ?? {};
  const { tmpfs, ...kernel } = kernelFieldsFromDocker(h);
  const hc = body.Healthcheck;
  // the endpoint of the network the container is created on: its aliases (how Compose makes
  // service names resolve) and a fixed address
  const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
  const mode = !h.NetworkMode || h.NetworkMode === 'default' ? undefined : h.NetworkMode;
  // NetworkDisabled: no interface but lo, as `--network none`
  const network = body.NetworkDisabled && !mode ? 'none' : mode;
  const endpoint = (network && endpoints[network]) || Object.values(endpoints)[0] || undefined;
  return {
    image: body.Image,
    name,
    cmd: words(body.Cmd),
    entrypoint: words(body.Entrypoint),
    env: body.Env ?? undefined,
    workingDir: body.WorkingDir || undefined,
    user: body.User || undefined,
    hostname: body.Hostname || undefined,
    labels: body.Labels ?? undefined,
    tty: !!body.Tty,
    openStdin: !!body.OpenStdin,
    autoRemove: !!h.AutoRemove,
    init: h.Init ?? undefined,
    readOnly: !!h.ReadonlyRootfs,
    cgroupns: cgroupnsFromDocker(h.CgroupnsMode),
    capAdd: h.CapAdd ?? undefined,
    capDrop: h.CapDrop ?? undefined,
    restartPolicy: restartPolicyFromDocker(h.RestartPolicy),
    // Docker's "default" is its bridge
    network,
    networkAliases: endpoint?.Aliases?.length ? endpoint.Aliases : undefined,
    ip: endpoint?.IPAMConfig?.IPv4Address || undefined,
    memory: h.Memory || undefined,
    memorySwap: h.MemorySwap || undefined,
    nanoCpus: h.NanoCpus || undefined,
    cpuShares: h.CpuShares || undefined,
    pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : undefined,
    stopSignal: body.StopSignal || undefined,
    stopTimeout: body.StopTimeout ?? undefined,
    mounts: mounts(body, h, tmpfs),
    ...kernel,
    volumesFrom: h.VolumesFrom ?? undefined,
    ports: ports(h.PortBindings),
    publishAll: !!h.PublishAllPorts,
    links: h.Links?.length || endpoint?.Links?.length ? [...(h.Links ?? []), ...(endpoint?.Links ?? [])] : undefined,
    macAddress: endpoint?.MacAddress || body.MacAddress || undefined,
    exposedPorts: body.ExposedPorts && Object.keys(body.ExposedPorts).length ? Object.keys(body.ExposedPorts) : undefined,
    extraHosts: h.ExtraHosts ?? undefined,
    dns: h.Dns ?? undefined,
    healthcheck:
      hc && (hc.Test || hc.Interval || hc.Timeout || hc.Retries)
        ? {
            test: hc.Test ?? undefined,
            interval: hc.Interval || undefined,
            timeout: hc.Timeout || undefined,
            startPeriod: hc.StartPeriod || undefined,
            startInterval: hc.StartInterval || undefined,
            retries: hc.Retries || undefined,
          }
        : undefined,
  };
}
