import { DockerApiError } from './http.js';

/**
 * `POST /containers/create` refuses what it would not apply: a field outside the served
 * set is a 400 naming it unless it holds Go's zero value (the docker CLI and compose send
 * the whole Config/HostConfig structs, mostly zeros). Never accepted and dropped.
 * docs/docker-compat.md has the table of fields.
 */

/** applied (container-create.ts, create-kernel.ts) */
const SERVED_CONFIG = new Set([
  'Image',
  'Cmd',
  'Entrypoint',
  'Env',
  'WorkingDir',
  'User',
  'Hostname',
  'Labels',
  'Tty',
  'OpenStdin',
  'StopSignal',
  'StopTimeout',
  'Healthcheck',
  'HostConfig',
  'NetworkingConfig',
  'Volumes',
  'ExposedPorts',
  'MacAddress',
  'NetworkDisabled',
]);
/** what the client uses itself, or Windows-only: no effect on a Linux container, in Docker either */
const CLIENT_CONFIG = new Set(['AttachStdin', 'AttachStdout', 'AttachStderr', 'StdinOnce', 'ArgsEscaped']);

const SERVED_HOST = new Set([
  'Binds',
  'PortBindings',
  'PublishAllPorts',
  'AutoRemove',
  'RestartPolicy',
  'Memory',
  'MemorySwap',
  'NanoCpus',
  'CpuShares',
  'PidsLimit',
  'NetworkMode',
  'Mounts',
  'Init',
  'ReadonlyRootfs',
  'CapAdd',
  'CapDrop',
  'ExtraHosts',
  'Dns',
  'VolumesFrom',
  'Links',
  'Tmpfs',
  'ShmSize',
  'Ulimits',
  'Sysctls',
  'CpusetCpus',
  'CpusetMems',
  'CgroupnsMode',
  'ConsoleSize',
]);
/** the client's own (the id file is written by the CLI) */
const CLIENT_HOST = new Set(['ContainerIDFile']);

/** values that are what Skiff does anyway (the defaults dockerd would pick) */
const DEFAULT_VALUES: Record<string, (v: unknown) => boolean> = {
  IpcMode: (v) => v === 'private' || v === 'shareable',
  Isolation: (v) => v === 'default',
  VolumeDriver: (v) => v === 'local',
  Runtime: (v) => v === 'runc',
  MemorySwappiness: (v) => v === -1,
  // no-new-privileges is always on; there is no SELinux labelling to disable
  SecurityOpt: (v) =>
    Array.isArray(v) && v.every((o) => ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true', 'label=disable', 'label:disable'].includes(o)),
  // the json-file log is what every container gets, sized by the agent
  LogConfig: (v) => {
    const l = v as { Type?: string; Config?: Record<string, string> | null };
    return (l.Type === '' || l.Type === 'json-file' || l.Type === undefined) && deepZero(l.Config ?? null);
  },
};

/** the docker CLI flag a field comes from, so the error says what to drop */
const FLAGS: Record<string, string> = {
  Privileged: '--privileged',
  Devices: '--device',
  DeviceCgroupRules: '--device-cgroup-rule',
  DeviceRequests: '--gpus',
  BlkioWeight: '--blkio-weight',
  BlkioWeightDevice: '--blkio-weight-device',
  BlkioDeviceReadBps: '--device-read-bps',
  BlkioDeviceWriteBps: '--device-write-bps',
  BlkioDeviceReadIOps: '--device-read-iops',
  BlkioDeviceWriteIOps: '--device-write-iops',
  CpuPeriod: '--cpu-period',
  CpuQuota: '--cpu-quota',
  CpuRealtimePeriod: '--cpu-rt-period',
  CpuRealtimeRuntime: '--cpu-rt-runtime',
  MemoryReservation: '--memory-reservation',
  MemorySwappiness: '--memory-swappiness',
  KernelMemory: '--kernel-memory',
  OomKillDisable: '--oom-kill-disable',
  OomScoreAdj: '--oom-score-adj',
  PidMode: '--pid',
  IpcMode: '--ipc',
  UTSMode: '--uts',
  UsernsMode: '--userns',
  CgroupParent: '--cgroup-parent',
  Cgroup: '--cgroup',
  GroupAdd: '--group-add',
  DnsOptions: '--dns-option',
  DnsSearch: '--dns-search',
  SecurityOpt: '--security-opt',
  StorageOpt: '--storage-opt',
  LogConfig: '--log-driver/--log-opt',
  VolumeDriver: '--volume-driver',
  Runtime: '--runtime',
  Isolation: '--isolation',
  Domainname: '--domainname',
  MaskedPaths: '--security-opt systempaths',
  ReadonlyPaths: '--security-opt systempaths',
  Annotations: '--annotation',
  IOMaximumIOps: '--io-maxiops',
  IOMaximumBandwidth: '--io-maxbandwidth',
};

/** Go's zero value, nested: null, '', false, 0, and arrays/objects of nothing else */
export function deepZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(deepZero);
  return false;
}

function refuse(where: string, key: string, value: unknown): never {
  const flag = FLAGS[key] ? ` (docker run ${FLAGS[key]})` : '';
  throw new DockerApiError(400, `${where}${key}${flag} is not supported by Skiff (value ${JSON.stringify(value)}); remove it or leave it at its default`);
}

/**
 * The fields Docker's API defines (moby api/types/container Config and HostConfig with its
 * Resources, network EndpointSettings). Keys outside them are not Docker fields at all and
 * dockerd's JSON decoding ignores them; clients rely on that (dockerode repeats the `name`
 * query parameter in the body), so they are ignored here too.
 */
const DOCKER_CONFIG = new Set([...SERVED_CONFIG, ...CLIENT_CONFIG, 'Domainname', 'OnBuild', 'Shell']);
const DOCKER_HOST = new Set([
  ...SERVED_HOST,
  ...CLIENT_HOST,
  ...Object.keys(FLAGS),
  ...Object.keys(DEFAULT_VALUES),
  'CgroupParent',
  'KernelMemoryTCP',
  'CpuCount',
  'CpuPercent',
]);

/** endpoint fields create applies; the rest of EndpointSettings is what inspect reports */
const SERVED_ENDPOINT = new Set(['Aliases', 'IPAMConfig', 'Links', 'MacAddress']);
const OUTPUT_ENDPOINT = new Set([
  'NetworkID',
  'EndpointID',
  'Gateway',
  'IPAddress',
  'IPPrefixLen',
  'IPv6Gateway',
  'GlobalIPv6Address',
  'GlobalIPv6PrefixLen',
  'DNSNames',
]);
const DOCKER_ENDPOINT = new Set([...SERVED_ENDPOINT, ...OUTPUT_ENDPOINT, 'DriverOpts', 'GwPriority']);

function check(obj: Record<string, unknown>, where: string, served: Set<string>, client: Set<string>, known: Set<string>): void {
  for (const [key, value] of Object.entries(obj)) {
    if (!known.has(key) || served.has(key) || client.has(key) || deepZero(value)) continue;
    if (DEFAULT_VALUES[key]?.(value)) continue;
    refuse(where, key, value);
  }
}

export function refuseUnsupportedCreateFields(body: Record<string, unknown>): void {
  check(body, '', SERVED_CONFIG, CLIENT_CONFIG, DOCKER_CONFIG);
  const h = body.HostConfig;
  if (h && typeof h === 'object') check(h as Record<string, unknown>, 'HostConfig.', SERVED_HOST, CLIENT_HOST, DOCKER_HOST);
  const endpoints = (body.NetworkingConfig as { EndpointsConfig?: Record<string, unknown> | null } | undefined)?.EndpointsConfig ?? {};
  for (const [name, ep] of Object.entries(endpoints)) {
    if (!ep || typeof ep !== 'object') continue;
    const e = ep as Record<string, unknown>;
    check(e, `NetworkingConfig.EndpointsConfig.${name}.`, SERVED_ENDPOINT, OUTPUT_ENDPOINT, DOCKER_ENDPOINT);
    const ipam = e.IPAMConfig as Record<string, unknown> | null | undefined;
    if (ipam)
      check(
        ipam,
        `NetworkingConfig.EndpointsConfig.${name}.IPAMConfig.`,
        new Set(['IPv4Address']),
        new Set(),
        new Set(['IPv4Address', 'IPv6Address', 'LinkLocalIPs']),
      );
  }
}
