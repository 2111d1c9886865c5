import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseByteSize, processWords } from '@skiff/runtime/parse';
import { ComposeError } from './errors.js';
import { normalizeKernel } from './normalize-kernel.js';
import { readEnvFile } from './env-file.js';
import { parseDuration } from './duration.js';
import { dependsToMap, hostsToList, keyedToMap, namesToMap } from './merge.js';
import type { DependsOnCondition, ServiceConfig, ServiceHealthcheck, ServicePort, ServiceVolume } from './model.js';
import { parsePortSpec } from './ports.js';
import { isPathSource, parseShortVolume } from './volumes.js';
import { keyLocOf, locOf } from './yaml-source.js';

/**
 * One service of the merged file → ServiceConfig: short syntaxes expanded, relative paths
 * made absolute, env_file read, sizes and durations converted. Cross-service checks
 * (depends_on targets, cycles, profiles) are done by load.ts once all services exist.
 */

type Obj = Record<string, unknown>;

export interface ServiceContext {
  workingDir: string;
  env: Record<string, string>;
  /** keys of the top-level `volumes:` */
  volumes: ReadonlySet<string>;
  /** keys of the top-level `networks:` plus `default` */
  networks: ReadonlySet<string>;
  /** how a file path is shown in messages */
  displayPath: (p: string) => string;
  warnings: string[];
}

/** keys that have a meaning in Skiff; any other non-`x-` key is accepted but reported as ignored */
const SUPPORTED = new Set(
  `image build command entrypoint environment env_file ports expose volumes tmpfs
  networks network_mode depends_on links restart healthcheck labels container_name hostname
  working_dir user cpus mem_limit deploy scale stop_signal stop_grace_period tty
  stdin_open init read_only cap_add cap_drop extra_hosts dns pull_policy profiles extends
  shm_size ulimits sysctls cpuset`.split(/\s+/),
);

export async function normalizeService(name: string, raw: Obj, ctx: ServiceContext): Promise<ServiceConfig> {
  const base = `services.${name}`;
  /** a located error about `container[key]`, named by its dotted path */
  const fail = (container: unknown, key: string | number | undefined, p: string, msg: string): never => {
    throw new ComposeError(msg, locOf(container, key) ?? locOf(raw), p);
  };

  for (const key of Object.keys(raw)) {
    if (!SUPPORTED.has(key) && !key.startsWith('x-')) ctx.warnings.push(`${base}.${key} is not supported by Skiff and is ignored`);
  }

  const svc: ServiceConfig = {
    name,
    environment: {},
    ports: [],
    volumes: [],
    networks: {},
    dependsOn: {},
    labels: {},
    replicas: 1,
    tty: raw.tty === true,
    stdinOpen: raw.stdin_open === true,
    readOnly: raw.read_only === true,
    capAdd: strings(raw.cap_add),
    capDrop: strings(raw.cap_drop),
    extraHosts: [],
    dns: strings(raw.dns),
    pullPolicy: 'missing',
    profiles: strings(raw.profiles),
  };

  if (typeof raw.image === 'string') svc.image = raw.image;
  if (raw.build !== undefined && raw.build !== null) svc.build = normalizeBuild(raw.build, ctx);
  if (!svc.image && !svc.build) fail(raw, undefined, base, `service "${name}" has neither an image nor a build context`);

  for (const key of ['command', 'entrypoint'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    let words: string[];
    if (typeof v === 'string') {
      try {
        // Compose splits like a shell but leaves `$…` to the container (already interpolated)
        words = processWords(v, () => undefined, '\\', { expand: false });
      } catch (e) {
        fail(raw, key, `${base}.${key}`, (e as Error).message);
      }
    } else words = (v as unknown[]).map(String);
    svc[key] = words!;
  }

  svc.environment = await environment(raw, base, ctx, fail);
  svc.ports = ports(raw.ports, `${base}.ports`, fail);
  svc.volumes = volumes(raw, name, base, ctx, fail);

  // networks
  if (raw.network_mode !== undefined && raw.network_mode !== null) {
    const mode = String(raw.network_mode);
    if (raw.networks !== undefined && raw.networks !== null) fail(raw, 'networks', `${base}.networks`, `service "${name}" sets both network_mode and networks`);
    if (!/^(host|none|bridge|(service|container):.+)$/.test(mode))
      fail(raw, 'network_mode', `${base}.network_mode`, `unsupported network_mode "${mode}" (host, none, service:NAME or container:NAME)`);
    svc.networkMode = mode;
  } else if (raw.networks === undefined || raw.networks === null) {
    svc.networks = { default: { aliases: [] } };
  } else {
    const nets = namesToMap(raw.networks);
    for (const [net, opts] of Object.entries(nets)) {
      const p = `${base}.networks.${net}`;
      if (!ctx.networks.has(net)) throw new ComposeError(`service "${name}" refers to undefined network "${net}"`, keyLocOf(nets, net), p);
      const o = (opts ?? {}) as Obj;
      svc.networks[net] = { aliases: strings(o.aliases) };
      if (typeof o.ipv4_address === 'string') svc.networks[net]!.ipv4Address = o.ipv4_address;
    }
  }

  // depends_on (links imply a dependency too, as in Compose)
  const deps = dependsToMap(raw.depends_on ?? []);
  for (const [dep, opts] of Object.entries(deps)) {
    const o = (opts ?? {}) as Obj;
    svc.dependsOn[dep] = {
      condition: (o.condition as DependsOnCondition | undefined) ?? 'service_started',
      required: o.required !== false,
      restart: o.restart === true,
    };
  }
  for (const link of strings(raw.links)) {
    const target = link.split(':')[0]!;
    svc.dependsOn[target] ??= { condition: 'service_started', required: true, restart: false };
  }
  const viaMode = /^service:(.+)$/.exec(svc.networkMode ?? '');
  if (viaMode) svc.dependsOn[viaMode[1]!] ??= { condition: 'service_started', required: true, restart: false };

  const policy = restart(raw, base, fail);
  if (policy !== undefined) svc.restart = policy;
  if (raw.healthcheck !== undefined && raw.healthcheck !== null) svc.healthcheck = healthcheck(raw.healthcheck as Obj, `${base}.healthcheck`, fail);

  for (const [k, v] of Object.entries(keyedToMap(raw.labels ?? []))) svc.labels[k] = v === null ? '' : String(v);
  if (typeof raw.container_name === 'string') {
    // Docker's rule for container names, checked here to point at the file
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(raw.container_name))
      fail(raw, 'container_name', `${base}.container_name`, `invalid container name "${raw.container_name}": use [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    svc.containerName = raw.container_name;
  }
  if (typeof raw.hostname === 'string') svc.hostname = raw.hostname;
  if (typeof raw.working_dir === 'string') svc.workingDir = raw.working_dir;
  if (raw.user !== undefined && raw.user !== null) svc.user = String(raw.user);

  // resources: deploy.resources.limits and the service-level shorthands must agree
  const deploy = (raw.deploy ?? {}) as Obj;
  const limits = (((deploy.resources ?? {}) as Obj).limits ?? {}) as Obj;
  const cpus = pick(raw, 'cpus', limits, 'cpus', base, fail, (c, k, p) => {
    const n = Number(c[k]);
    if (!Number.isFinite(n) || n < 0) fail(c, k, p, `invalid cpus ${JSON.stringify(c[k])}`);
    return n;
  });
  if (cpus !== undefined) svc.cpus = cpus;
  const memory = pick(raw, 'mem_limit', limits, 'memory', base, fail, (c, k, p) => {
    const v = c[k];
    const n = typeof v === 'number' ? v : parseByteSize(String(v));
    if (n === undefined || !Number.isFinite(n) || n < 0) fail(c, k, p, `invalid memory size ${JSON.stringify(v)} (like 512m, 1g)`);
    return n!;
  });
  if (memory !== undefined) svc.memory = memory;
  const replicas = pick(raw, 'scale', deploy, 'replicas', base, fail, (c, k, p) => {
    const n = Number(c[k]);
    if (!Number.isInteger(n) || n < 0) fail(c, k, p, `invalid replica count ${JSON.stringify(c[k])}`);
    return n;
  });
  if (replicas !== undefined) svc.replicas = replicas;
  if (svc.containerName && svc.replicas > 1) {
    fail(
      raw,
      'container_name',
      `${base}.container_name`,
      `service "${name}" sets container_name but runs ${svc.replicas} replicas: container names must be unique`,
    );
  }

  if (typeof raw.stop_signal === 'string') svc.stopSignal = raw.stop_signal;
  if (typeof raw.stop_grace_period === 'string') svc.stopGracePeriod = parseDuration(raw.stop_grace_period)! / 1e9;
  if (typeof raw.init === 'boolean') svc.init = raw.init;

  svc.extraHosts = hostsToList(raw.extra_hosts ?? []).map((h, i) => {
    const s = String(h);
    // `host=ip` is the newer spelling; Docker takes `host:ip`
    const m = /^([^:=]+)[:=](.+)$/.exec(s);
    if (!m) fail(raw.extra_hosts, i, `${base}.extra_hosts[${i}]`, `invalid extra host "${s}" (HOST:IP)`);
    return `${m![1]}:${m![2]}`;
  });

  normalizeKernel(raw, svc, base, fail);
  if (raw.pull_policy !== undefined) {
    const p = String(raw.pull_policy);
    const mapped = p === 'if_not_present' ? 'missing' : p;
    if (!['always', 'never', 'missing', 'build'].includes(mapped))
      fail(raw, 'pull_policy', `${base}.pull_policy`, `unsupported pull_policy "${p}" (always, never, missing, build)`);
    svc.pullPolicy = mapped as ServiceConfig['pullPolicy'];
  }
  return svc;
}

type Fail = (container: unknown, key: string | number | undefined, p: string, msg: string) => never;

function strings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** a value settable in two places (`cpus` / `deploy.resources.limits.cpus`): both must agree */
function pick<T>(a: Obj, aKey: string, b: Obj, bKey: string, base: string, fail: Fail, conv: (c: Obj, k: string, p: string) => T): T | undefined {
  const aPath = `${base}.${aKey}`;
  const bPath = `${base}.deploy.${bKey === 'replicas' ? '' : 'resources.limits.'}${bKey}`;
  const va = a[aKey] === undefined || a[aKey] === null ? undefined : conv(a, aKey, aPath);
  const vb = b[bKey] === undefined || b[bKey] === null ? undefined : conv(b, bKey, bPath);
  if (va !== undefined && vb !== undefined && va !== vb) {
    fail(a, aKey, aPath, `can't set distinct values on ${aPath.slice(base.length + 1)} and ${bPath.slice(base.length + 1)}`);
  }
  return vb ?? va;
}

function resolveHostPath(p: string, ctx: ServiceContext): string {
  if (p === '~' || p.startsWith('~/')) return path.join(ctx.env.HOME ?? homedir(), p.slice(1));
  return path.resolve(ctx.workingDir, p);
}

function normalizeBuild(raw: unknown, ctx: ServiceContext): NonNullable<ServiceConfig['build']> {
  const o = (typeof raw === 'string' ? { context: raw } : raw) as Obj;
  const context = String(o.context ?? '.');
  // remote contexts (git URLs) are passed through untouched
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
  const build: NonNullable<ServiceConfig['build']> = { context: remote ? context : resolveHostPath(context, ctx), args: {} };
  if (typeof o.dockerfile === 'string') build.dockerfile = o.dockerfile;
  if (typeof o.target === 'string') build.target = o.target;
  for (const [k, v] of Object.entries(keyedToMap(o.args ?? []))) {
    if (v === null) {
      if (ctx.env[k] !== undefined) build.args[k] = ctx.env[k]!;
    } else build.args[k] = String(v);
  }
  return build;
}

async function environment(raw: Obj, base: string, ctx: ServiceContext, fail: Fail): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const lookup = (n: string) => ctx.env[n];
  const files = raw.env_file === undefined || raw.env_file === null ? [] : Array.isArray(raw.env_file) ? raw.env_file : [raw.env_file];
  for (const [i, entry] of files.entries()) {
    const { path: rel, required } = typeof entry === 'string' ? { path: entry, required: true } : (entry as { path: string; required?: boolean });
    const abs = resolveHostPath(rel, ctx);
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && required === false) continue;
      const container = Array.isArray(raw.env_file) ? raw.env_file : raw;
      const key = Array.isArray(raw.env_file) ? i : 'env_file';
      fail(container, key, `${base}.env_file`, `env file ${abs} not found${(e as NodeJS.ErrnoException).code === 'ENOENT' ? '' : `: ${(e as Error).message}`}`);
    }
    Object.assign(env, readEnvFile(text!, { lookup, file: ctx.displayPath(abs) }));
  }
  for (const [k, v] of Object.entries(keyedToMap(raw.environment ?? []))) {
    if (v === null) {
      // `- KEY` / `KEY:` without a value: passed through from the loader's environment when
      // set there; otherwise not added (an env_file's value for it stays)
      if (ctx.env[k] !== undefined) env[k] = ctx.env[k]!;
    } else env[k] = String(v);
  }
  return env;
}

function ports(raw: unknown, base: string, fail: Fail): ServicePort[] {
  if (!Array.isArray(raw)) return [];
  const out: ServicePort[] = [];
  raw.forEach((item, i) => {
    const p = `${base}[${i}]`;
    if (typeof item === 'number' || typeof item === 'string') {
      const r = parsePortSpec(String(item));
      if (typeof r === 'string') fail(raw, i, p, r);
      out.push(...(r as ServicePort[]));
      return;
    }
    const o = item as Obj;
    const target = Number(o.target);
    if (!Number.isInteger(target) || target < 1 || target > 65535) fail(o, 'target', `${p}.target`, `invalid port ${JSON.stringify(o.target)}`);
    const protocol = String(o.protocol ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') fail(o, 'protocol', `${p}.protocol`, `unsupported protocol "${protocol}" (tcp or udp)`);
    const port: ServicePort = { target, protocol: protocol as 'tcp' | 'udp' };
    if (o.published !== undefined && o.published !== null && o.published !== '') {
      const pub = String(o.published);
      const m = /^(\d+)(?:-(\d+))?$/.exec(pub);
      if (!m || Number(m[1]) > 65535 || Number(m[2] ?? m[1]) > 65535 || Number(m[2] ?? m[1]) < Number(m[1]))
        fail(o, 'published', `${p}.published`, `invalid published port "${pub}"`);
      port.published = pub;
    }
    if (typeof o.host_ip === 'string' && o.host_ip) port.hostIp = o.host_ip;
    out.push(port);
  });
  return out;
}

function volumes(raw: Obj, name: string, base: string, ctx: ServiceContext, fail: Fail): ServiceVolume[] {
  const out: ServiceVolume[] = [];
  const list = Array.isArray(raw.volumes) ? raw.volumes : [];
  const named = (source: string, container: unknown, key: string | number, p: string) => {
    // Compose requires named volumes to be declared at the top level
    if (!ctx.volumes.has(source)) fail(container, key, p, `service "${name}" refers to undefined volume "${source}": declare it under the top-level volumes:`);
  };
  list.forEach((item, i) => {
    const p = `${base}.volumes[${i}]`;
    if (typeof item === 'string') {
      const v = parseShortVolume(item);
      if (typeof v === 'string') fail(list, i, p, v);
      const { source, target, readOnly } = v as Exclude<typeof v, string>;
      if (source === undefined) out.push({ type: 'volume', target, readOnly });
      else if (isPathSource(source)) out.push({ type: 'bind', source: resolveHostPath(source, ctx), target, readOnly, createHostPath: true });
      else {
        named(source, list, i, p);
        out.push({ type: 'volume', source, target, readOnly });
      }
      return;
    }
    const o = item as Obj;
    const type = String(o.type);
    const target = typeof o.target === 'string' ? o.target : undefined;
    if (!target || !path.posix.isAbsolute(target)) fail(o, target ? 'target' : undefined, `${p}.target`, `a volume needs an absolute target path`);
    const readOnly = o.read_only === true;
    const source = typeof o.source === 'string' && o.source !== '' ? o.source : undefined;
    if (type === 'bind') {
      if (!source) fail(o, undefined, `${p}.source`, 'a bind mount needs a source path');
      out.push({ type, source: resolveHostPath(source!, ctx), target: target!, readOnly, createHostPath: ((o.bind ?? {}) as Obj).create_host_path === true });
    } else if (type === 'volume') {
      if (source) named(source, o, 'source', `${p}.source`);
      out.push({ type, ...(source ? { source } : {}), target: target!, readOnly });
    } else if (type === 'tmpfs') {
      const t = (o.tmpfs ?? {}) as Obj;
      const size = t.size === undefined ? undefined : typeof t.size === 'number' ? t.size : parseByteSize(String(t.size));
      if (size === undefined && t.size !== undefined) fail(t, 'size', `${p}.tmpfs.size`, `invalid tmpfs size ${JSON.stringify(t.size)}`);
      // `mode: 1770` means the octal it reads as; a YAML 0o1770 is already the number
      const mode = t.mode === undefined ? undefined : /^[0-7]{1,4}$/.test(String(t.mode)) ? parseInt(String(t.mode), 8) : Number(t.mode);
      if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777))
        fail(t, 'mode', `${p}.tmpfs.mode`, `invalid tmpfs mode ${JSON.stringify(t.mode)}`);
      out.push({ type, target: target!, readOnly, ...(size !== undefined ? { tmpfsSize: size } : {}), ...(mode !== undefined ? { tmpfsMode: mode } : {}) });
    } else fail(o, 'type', `${p}.type`, `unsupported volume type "${type}" (bind, volume or tmpfs)`);
  });
  for (const t of strings(raw.tmpfs)) {
    // `tmpfs: /run:size=64m,mode=1777`: the options are checked by the runtime's parser (service-spec)
    const i = t.indexOf(':');
    out.push({ type: 'tmpfs', target: i < 0 ? t : t.slice(0, i), readOnly: false, tmpfsOptions: i < 0 ? '' : t.slice(i + 1) });
  }
  return out;
}

function restart(raw: Obj, base: string, fail: Fail): string | undefined {
  if (raw.restart !== undefined && raw.restart !== null) {
    const r = String(raw.restart);
    if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(r))
      fail(raw, 'restart', `${base}.restart`, `invalid restart policy "${r}" (no, always, unless-stopped, on-failure[:N])`);
    return r;
  }
  // deploy.restart_policy is the Swarm spelling of the same thing
  const policy = ((raw.deploy ?? {}) as Obj).restart_policy as Obj | undefined;
  if (!policy?.condition) return undefined;
  switch (policy.condition) {
    case 'none':
      return 'no';
    case 'any':
      return 'always';
    case 'on-failure':
      return policy.max_attempts !== undefined ? `on-failure:${policy.max_attempts}` : 'on-failure';
    default:
      return fail(
        policy,
        'condition',
        `${base}.deploy.restart_policy.condition`,
        `invalid restart condition "${String(policy.condition)}" (none, on-failure, any)`,
      );
  }
}

function healthcheck(raw: Obj, base: string, fail: Fail): ServiceHealthcheck {
  const hc: ServiceHealthcheck = { disable: raw.disable === true };
  if (hc.disable && raw.test !== undefined && !(Array.isArray(raw.test) && raw.test[0] === 'NONE')) {
    fail(raw, 'disable', `${base}.disable`, 'a healthcheck cannot set both disable: true and a test');
  }
  if (hc.disable) {
    hc.test = ['NONE'];
    return hc;
  }
  if (typeof raw.test === 'string') hc.test = ['CMD-SHELL', raw.test];
  else if (Array.isArray(raw.test)) {
    const t = raw.test.map(String);
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(t[0] ?? '')) fail(raw, 'test', `${base}.test`, `a healthcheck test list must start with CMD, CMD-SHELL or NONE`);
    hc.test = t;
    if (t[0] === 'NONE') hc.disable = true;
  }
  const ns = (key: string) => (typeof raw[key] === 'string' ? parseDuration(raw[key] as string) : undefined);
  const interval = ns('interval');
  const timeout = ns('timeout');
  const startPeriod = ns('start_period');
  const startInterval = ns('start_interval');
  if (interval !== undefined) hc.interval = interval;
  if (timeout !== undefined) hc.timeout = timeout;
  if (startPeriod !== undefined) hc.startPeriod = startPeriod;
  if (startInterval !== undefined) hc.startInterval = startInterval;
  if (raw.retries !== undefined && raw.retries !== null) {
    const r = Number(raw.retries);
    if (!Number.isInteger(r) || r < 0) fail(raw, 'retries', `${base}.retries`, `invalid retries ${JSON.stringify(raw.retries)}`);
    hc.retries = r;
  }
  return hc;
}
