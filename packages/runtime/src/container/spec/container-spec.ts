import { hostname as osHostname } from 'node:os';
import { InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec, ImageInspect, RestartPolicy } from '../../types.js';
import { resolveCapabilities } from './capabilities.js';
import { mergeHealthcheck } from '../health/health-config.js';
import type { ContainerRecord } from '../store/container-record.js';
import { MIN_MEMORY } from './container-update.js';
import { validateKernelResources } from './kernel-host.js';
import { parseSignal } from './signals.js';
import { noNul, validateCreateStrings } from './spec-strings.js';
import { checkMountRequests } from '../../volume/mount-spec.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Merges `KEY=VALUE` lists; later entries win, as `docker run -e` over the image's ENV. */
export function mergeEnv(...lists: (string[] | undefined)[]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) {
    for (const e of list ?? []) {
      const eq = e.indexOf('=');
      const key = eq < 0 ? e : e.slice(0, eq);
      if (!key) throw new InvalidArgument(`invalid environment variable: "${e}"`);
      if (eq < 0) continue; // `-e NAME` without a value is resolved client-side; nothing to set here
      map.set(key, e);
    }
  }
  return [...map.values()];
}

/**
 * The environment a container's process (or an exec in it) starts with, as moby's
 * CreateDaemonEnvironment: PATH, HOSTNAME and TERM (a TTY) first, each replaced in place by
 * the container's own value, then the rest of Config.Env in its order.
 */
export function processEnv(r: { env: string[]; hostname: string }, tty: boolean): string[] {
  return mergeEnv([DEFAULT_PATH, `HOSTNAME=${r.hostname}`], tty ? ['TERM=xterm'] : [], r.env);
}

function validateRestart(p: RestartPolicy | undefined, autoRemove: boolean | undefined): RestartPolicy {
  const policy = p ?? { name: 'no' as const };
  if (autoRemove && policy.name !== 'no') throw new InvalidArgument('conflicting options: --restart and --rm');
  if (policy.name === 'on-failure' && (policy.maximumRetryCount ?? 0) < 0)
    throw new InvalidArgument('invalid restart policy: maximum retry count cannot be negative');
  return policy;
}

/** `--expose` ports as the image's EXPOSE keys (`80/tcp`) */
function exposed(ports: string[] | undefined): string[] {
  return (ports ?? []).map((p) => {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(p);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new InvalidArgument(`invalid exposed port: ${JSON.stringify(p)}`);
    return `${m[1]}/${m[2] ?? 'tcp'}`;
  });
}

/** the networks it joins at start: `network` first (it carries the ports), then the extra ones */
function endpointsOf(spec: ContainerCreateSpec, network: string): ContainerRecord['networks'] {
  const extra = spec.extraNetworks ?? [];
  if (network === 'host' || network === 'none') {
    if (extra.length) throw new InvalidArgument(`container cannot be connected to network endpoints: ${[network, ...extra.map((e) => e.network)].join(', ')}`);
    return [];
  }
  return [
    { network, ip: spec.ip, aliases: spec.networkAliases, mac: spec.macAddress },
    ...extra.map((e) => ({ network: e.network, ip: e.ip || undefined, aliases: e.aliases?.length ? e.aliases : undefined, mac: e.macAddress || undefined })),
  ];
}

/** `ConsoleSize` [rows, cols]: whole numbers a winsize holds; [0, 0] is none given */
function consoleSizeOf(size: [number, number] | undefined): [number, number] | undefined {
  if (!size || (size[0] === 0 && size[1] === 0)) return undefined;
  if (size.length !== 2 || !size.every((n) => Number.isInteger(n) && n > 0 && n <= 65535))
    throw new InvalidArgument(`invalid console size ${JSON.stringify(size)}: want [rows, columns], each 1 to 65535`);
  return size;
}

/** Builds the persisted record from a create request and the image's config (Docker's merge rules). */
export function buildRecord(spec: ContainerCreateSpec, image: ImageInspect, ids: { id: string; name: string; created: string }): ContainerRecord {
  validateCreateStrings(spec);
  const ic = image.config ?? {};
  // An explicit entrypoint resets the image's CMD too (Docker's rule).
  const entrypoint = spec.entrypoint !== undefined ? (spec.entrypoint.length ? spec.entrypoint : null) : (ic.Entrypoint ?? null);
  const cmd = spec.cmd?.length ? spec.cmd : spec.entrypoint !== undefined ? null : (ic.Cmd ?? null);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (!argv.length || !argv[0]) throw new InvalidArgument('no command specified');

  const network = spec.network || 'bridge';
  if ((network === 'host' || network === 'none') && (spec.ports?.length || spec.publishAll)) {
    throw new InvalidArgument(`published ports are discarded when using ${network} network mode`);
  }
  if (network === 'host' && spec.hostname) throw new InvalidArgument('conflicting options: hostname and the network mode host');
  for (const p of spec.ports ?? []) {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
      throw new InvalidArgument(`invalid container port: ${p.containerPort}`);
    if (p.hostPort !== undefined && (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535))
      throw new InvalidArgument(`invalid host port: ${p.hostPort}`);
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new InvalidArgument(`invalid protocol: ${p.protocol}`);
  }
  for (const [k, v] of [
    ['memory', spec.memory],
    ['nanoCpus', spec.nanoCpus],
    ['cpuShares', spec.cpuShares],
  ] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new InvalidArgument(`invalid ${k}: ${v}`);
  }
  if (spec.memory !== undefined && spec.memory > 0 && spec.memory < MIN_MEMORY) {
    throw new InvalidArgument('minimum memory limit allowed is 6MB');
  }
  if (spec.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(spec.hostname)) {
    throw new InvalidArgument(`invalid hostname: "${spec.hostname}"`);
  }
  if (spec.cgroupns !== undefined && spec.cgroupns !== 'private' && spec.cgroupns !== 'host') {
    throw new InvalidArgument(`invalid cgroup namespace mode: ${String(spec.cgroupns)}`);
  }
  const stopSignal = spec.stopSignal ?? ic.StopSignal ?? 'SIGTERM';
  parseSignal(stopSignal);
  if (spec.workingDir && !spec.workingDir.startsWith('/')) {
    throw new InvalidArgument(`the working directory '${spec.workingDir}' is invalid, it needs to be an absolute path`);
  }
  checkMountRequests(spec.mounts ?? [], Object.keys(ic.Volumes ?? {}));
  validateKernelResources(spec, network);
  const healthcheck = mergeHealthcheck(spec.healthcheck, ic.Healthcheck);
  const hostname = spec.hostname ?? (network === 'host' ? osHostname() : ids.id.slice(0, 12));
  // Config.Env as Docker keeps it: the image's and the caller's; the process adds PATH, HOSTNAME, TERM (processEnv)
  const env = mergeEnv(ic.Env, spec.env);
  // the image's own CMD, ENTRYPOINT, ENV, WORKDIR and HEALTHCHECK reach the shim as C strings too
  noNul('image command argument', argv);
  noNul('image environment variable', env);
  noNul('image working directory', [ic.WorkingDir]);
  noNul('healthcheck command', healthcheck?.Test);

  return {
    id: ids.id,
    name: ids.name,
    created: ids.created,
    image: spec.image,
    imageId: image.id,
    // the extra networks live in `networks` (connect/disconnect change them), not twice
    spec: { ...spec, network, extraNetworks: undefined, consoleSize: consoleSizeOf(spec.consoleSize) },
    path: argv[0],
    args: argv.slice(1),
    env,
    workingDir: spec.workingDir || ic.WorkingDir || '/',
    user: spec.user ?? ic.User ?? '',
    hostname,
    entrypoint,
    cmd,
    labels: { ...(ic.Labels ?? {}), ...(spec.labels ?? {}) },
    restartPolicy: validateRestart(spec.restartPolicy, spec.autoRemove),
    stopSignal,
    stopTimeout: spec.stopTimeout ?? 10,
    capabilities: resolveCapabilities(spec.capAdd, spec.capDrop),
    mounts: [],
    networks: endpointsOf(spec, network),
    exposedPorts: [...new Set([...Object.keys(ic.ExposedPorts ?? {}), ...exposed(spec.exposedPorts)])],
    ...(healthcheck ? { healthcheck } : {}),
    ...(healthcheck && ic.Shell?.length ? { healthShell: ic.Shell } : {}),
  };
}
