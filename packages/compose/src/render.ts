import type { ComposeProject, NetworkConfig, ServiceConfig, ServiceHealthcheck, ServicePort, ServiceVolume, VolumeConfig } from './model.js';

/**
 * A loaded project back as a Compose document (`compose config`): interpolation done, short
 * syntaxes and env_file expanded, paths absolute, defaults left out. Loading it again gives
 * the same project. `$` in values is written `$$`, as Compose does, so the second load does
 * not interpolate what the first already did. Short syntaxes are used where they say it
 * all, so that older readers (docker-compose 1.29's schema) take the services too.
 */

type Doc = Record<string, unknown>;

/** `$` → `$$` in every string value (keys are never interpolated) */
function escapeDollars<T>(v: T): T {
  if (typeof v === 'string') return v.replaceAll('$', '$$$$') as T;
  if (Array.isArray(v)) return v.map(escapeDollars) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)])) as T;
  return v;
}

/** nanoseconds as a Go duration (`30s`, `1.5s`, `250ms`), which the loader parses back exactly */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  for (const [unit, size] of [
    ['h', 3600e9],
    ['m', 60e9],
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
  ] as const) {
    if (ns % size === 0) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}

/** `[ip:][published:]target/proto`, IPv6 addresses in brackets */
function portSpec(p: ServicePort): string {
  const ip = p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : '';
  const host = p.published ?? '';
  return `${ip || host ? `${ip}${host}:` : ''}${p.target}/${p.protocol}`;
}

/** the short `src:dst[:ro]` where it carries everything, the long syntax otherwise; tmpfs options go to `tmpfs:` */
function volume(v: ServiceVolume): string | Doc {
  const ro = v.readOnly ? ':ro' : '';
  const plain = (s: string) => !s.includes(':');
  if (v.type === 'volume') return v.source ? `${v.source}:${v.target}${ro}` : v.readOnly ? { type: 'volume', target: v.target, read_only: true } : v.target;
  if (v.type === 'bind') {
    if (v.createHostPath && plain(v.source!) && plain(v.target)) return `${v.source}:${v.target}${ro}`;
    return {
      type: 'bind',
      source: v.source,
      target: v.target,
      ...(v.readOnly ? { read_only: true } : {}),
      ...(v.createHostPath ? { bind: { create_host_path: true } } : {}),
    };
  }
  const tmpfs: Doc = {};
  if (v.tmpfsSize !== undefined) tmpfs.size = v.tmpfsSize;
  // the loader reads a mode's digits as octal (`mode: 1777`)
  if (v.tmpfsMode !== undefined) tmpfs.mode = Number(v.tmpfsMode.toString(8));
  return { type: 'tmpfs', target: v.target, ...(v.readOnly ? { read_only: true } : {}), ...(Object.keys(tmpfs).length ? { tmpfs } : {}) };
}

function healthcheck(h: ServiceHealthcheck): Doc {
  if (h.disable) return { disable: true };
  const out: Doc = {};
  if (h.test) out.test = h.test;
  if (h.interval !== undefined) out.interval = goDuration(h.interval);
  if (h.timeout !== undefined) out.timeout = goDuration(h.timeout);
  if (h.startPeriod !== undefined) out.start_period = goDuration(h.startPeriod);
  if (h.startInterval !== undefined) out.start_interval = goDuration(h.startInterval);
  if (h.retries !== undefined) out.retries = h.retries;
  return out;
}

function dependsOn(deps: ServiceConfig['dependsOn']): string[] | Doc {
  const entries = Object.entries(deps);
  if (entries.every(([, d]) => d.condition === 'service_started' && d.required && !d.restart)) return entries.map(([name]) => name);
  return Object.fromEntries(
    entries.map(([name, d]) => [name, { condition: d.condition, ...(d.required ? {} : { required: false }), ...(d.restart ? { restart: true } : {}) }]),
  );
}

/** every key of a service with a value that is not the loader's default, in Compose's order */
function service(s: ServiceConfig): Doc {
  const out: Doc = {};
  const set = (k: string, v: unknown, when = v !== undefined) => {
    if (when) out[k] = v;
  };
  const nonEmpty = (k: string, v: unknown[] | Doc) => set(k, v, Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
  set('image', s.image);
  if (s.build) {
    const b = s.build;
    out.build = {
      context: b.context,
      ...(b.dockerfile ? { dockerfile: b.dockerfile } : {}),
      ...(Object.keys(b.args).length ? { args: b.args } : {}),
      ...(b.target ? { target: b.target } : {}),
    };
  }
  set('command', s.command);
  set('entrypoint', s.entrypoint);
  nonEmpty('environment', s.environment);
  nonEmpty('ports', s.ports.map(portSpec));
  nonEmpty('volumes', s.volumes.filter((v) => v.tmpfsOptions === undefined).map(volume));
  nonEmpty(
    'tmpfs',
    s.volumes.filter((v) => v.tmpfsOptions !== undefined).map((v) => (v.tmpfsOptions ? `${v.target}:${v.tmpfsOptions}` : v.target)),
  );
  set('network_mode', s.networkMode);
  if (!s.networkMode)
    out.networks = Object.fromEntries(
      Object.entries(s.networks).map(([k, n]) => [
        k,
        n.aliases.length || n.ipv4Address
          ? { ...(n.aliases.length ? { aliases: n.aliases } : {}), ...(n.ipv4Address ? { ipv4_address: n.ipv4Address } : {}) }
          : null,
      ]),
    );
  nonEmpty('depends_on', dependsOn(s.dependsOn));
  set('restart', s.restart);
  if (s.healthcheck) out.healthcheck = healthcheck(s.healthcheck);
  nonEmpty('labels', s.labels);
  set('container_name', s.containerName);
  set('hostname', s.hostname);
  set('working_dir', s.workingDir);
  set('user', s.user);
  set('cpus', s.cpus);
  set('mem_limit', s.memory);
  set('scale', s.replicas, s.replicas !== 1);
  set('stop_signal', s.stopSignal);
  set('stop_grace_period', s.stopGracePeriod === undefined ? undefined : goDuration(Math.round(s.stopGracePeriod * 1e9)));
  set('tty', true, s.tty);
  set('stdin_open', true, s.stdinOpen);
  set('init', s.init);
  set('read_only', true, s.readOnly);
  nonEmpty('cap_add', s.capAdd);
  nonEmpty('cap_drop', s.capDrop);
  nonEmpty('extra_hosts', s.extraHosts);
  nonEmpty('dns', s.dns);
  set('pull_policy', s.pullPolicy, s.pullPolicy !== 'missing');
  nonEmpty('profiles', s.profiles);
  set('shm_size', s.shmSize);
  if (s.ulimits?.length) out.ulimits = Object.fromEntries(s.ulimits.map((u) => [u.name, { soft: u.soft, hard: u.hard }]));
  if (s.sysctls) nonEmpty('sysctls', s.sysctls);
  set('cpuset', s.cpuset);
  return out;
}

function network(n: NetworkConfig): Doc {
  const out: Doc = { name: n.name };
  if (n.external) out.external = true;
  if (n.driver) out.driver = n.driver;
  if (n.internal) out.internal = true;
  if (n.subnet || n.gateway) out.ipam = { config: [{ ...(n.subnet ? { subnet: n.subnet } : {}), ...(n.gateway ? { gateway: n.gateway } : {}) }] };
  if (Object.keys(n.labels).length) out.labels = n.labels;
  return out;
}

function volumeConfig(v: VolumeConfig): Doc {
  return {
    name: v.name,
    ...(v.external ? { external: true } : {}),
    ...(v.driver ? { driver: v.driver } : {}),
    ...(Object.keys(v.labels).length ? { labels: v.labels } : {}),
  };
}

const mapValues = <A, B>(o: Record<string, A>, f: (a: A) => B) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** the project as a Compose document: `name`, `services`, and `networks` / `volumes` when it has any */
export function renderProject(p: ComposeProject): Doc {
  const doc: Doc = { name: p.name, services: mapValues(p.services, service) };
  if (Object.keys(p.networks).length) doc.networks = mapValues(p.networks, network);
  if (Object.keys(p.volumes).length) doc.volumes = mapValues(p.volumes, volumeConfig);
  return escapeDollars(doc);
}
