import { InvalidArgument } from '../errors.js';
import { parseSignal } from '../container/spec/signals.js';
import { keyValues, type Instruction } from './dockerfile.js';
import { processWord, processWords, type Lookup } from './shell-words.js';

/**
 * The image config fields that Dockerfile metadata instructions change (the OCI image
 * config's `config` object, Docker's capitalisation), and how each instruction changes
 * them — shared by `build` and by `commit -c`.
 */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Shell?: string[];
  OnBuild?: string[] | null;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** the instructions that only change the config (no layer) */
export const METADATA_KEYWORDS = new Set(['ENV', 'LABEL', 'MAINTAINER', 'EXPOSE', 'USER', 'WORKDIR', 'VOLUME', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'ONBUILD']);

export interface ApplyContext {
  /** ARG values in scope (build args and defaults); the config's Env wins over them */
  args?: Lookup;
  escape?: string;
  /** shared across the instructions of one stage (or one set of `-c` changes): whether CMD was set there */
  stage?: { cmdSet: boolean };
}

export function envLookup(env: string[] | undefined, args?: Lookup): Lookup {
  return (name) => {
    for (const e of env ?? []) if (e.startsWith(`${name}=`)) return e.slice(name.length + 1);
    return args?.(name);
  };
}

function setEnv(env: string[], key: string, value: string): string[] {
  // replaced where it stands, as dockerd's dispatchEnv does: `ENV PATH=…` keeps PATH first
  const i = env.findIndex((e) => e.startsWith(`${key}=`));
  if (i < 0) return [...env, `${key}=${value}`];
  return env.map((e, j) => (j === i ? `${key}=${value}` : e));
}

/** `30s`, `1m30s`, `500ms` → nanoseconds (Go's time.ParseDuration subset Docker accepts) */
export function parseDuration(v: string, line: number, flag: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = v.trim();
  if (!rest) throw new InvalidArgument(`Dockerfile:${line}: invalid duration for --${flag}: "${v}"`);
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw new InvalidArgument(`Dockerfile:${line}: invalid duration for --${flag}: "${v}"`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

/** shell form → the shell's argv (`SHELL` or /bin/sh -c); JSON form as is */
export function commandOf(ins: Instruction, shell: string[] | undefined): string[] {
  return ins.json ?? [...(shell ?? DEFAULT_SHELL), ins.raw];
}

/**
 * Applies one metadata instruction to a copy of `config`. Returns the new config and
 * the `created_by` text for the image history (Docker's BuildKit style: the
 * instruction as written, variables expanded).
 */
export function applyMetadata(config: ImageRunConfig, ins: Instruction, ctx: ApplyContext = {}): { config: ImageRunConfig; createdBy: string } {
  const escape = ctx.escape ?? '\\';
  const c: ImageRunConfig = structuredClone(config);
  const lookup = envLookup(c.Env, ctx.args);
  const word = (s: string) => processWord(s, lookup, escape);
  const words = (s: string) => processWords(s, lookup, escape);
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = keyValues(ins, lookup, escape);
      for (const [k, v] of pairs) c.Env = setEnv(c.Env ?? [], k, v);
      return { config: c, createdBy: `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'LABEL': {
      const pairs = keyValues(ins, lookup, escape);
      c.Labels = { ...c.Labels, ...Object.fromEntries(pairs) };
      return { config: c, createdBy: `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'MAINTAINER':
      // deprecated by Docker; kept as the label it recommends instead
      c.Labels = { ...c.Labels, maintainer: ins.raw.trim() };
      return { config: c, createdBy: `MAINTAINER ${ins.raw.trim()}` };
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const p of words(ins.raw)) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new InvalidArgument(`Dockerfile:${ins.line}: invalid containerPort: ${p}`);
        const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
        if (a < 1 || b > 65535 || b < a) throw new InvalidArgument(`Dockerfile:${ins.line}: invalid port range: ${p}`);
        for (let n = a; n <= b; n++) ports.push(`${n}/${(m[3] ?? 'tcp').toLowerCase()}`);
      }
      c.ExposedPorts = { ...c.ExposedPorts, ...Object.fromEntries(ports.map((p) => [p, {}])) };
      return { config: c, createdBy: `EXPOSE map[${ports.map((p) => `${p}:{}`).join(' ')}]` };
    }
    case 'USER':
      c.User = word(ins.raw.trim());
      return { config: c, createdBy: `USER ${c.User}` };
    case 'WORKDIR': {
      const dir = word(ins.raw.trim());
      c.WorkingDir = dir.startsWith('/') ? dir : `${(c.WorkingDir || '/').replace(/\/$/, '')}/${dir}`;
      return { config: c, createdBy: `WORKDIR ${c.WorkingDir}` };
    }
    case 'VOLUME': {
      const vols = ins.json ?? words(ins.raw);
      if (!vols.length || vols.some((v) => !v.trim())) throw new InvalidArgument(`Dockerfile:${ins.line}: VOLUME specified can not be an empty string`);
      c.Volumes = { ...c.Volumes, ...Object.fromEntries(vols.map((v) => [word(v), {}])) };
      return { config: c, createdBy: `VOLUME [${vols.join(' ')}]` };
    }
    case 'STOPSIGNAL':
      c.StopSignal = word(ins.raw.trim());
      try {
        parseSignal(c.StopSignal);
      } catch {
        throw new InvalidArgument(`Dockerfile:${ins.line}: invalid signal: ${c.StopSignal}`);
      }
      return { config: c, createdBy: `STOPSIGNAL ${c.StopSignal}` };
    case 'CMD':
      c.Cmd = commandOf(ins, c.Shell);
      if (ctx.stage) ctx.stage.cmdSet = true;
      return { config: c, createdBy: `CMD ${JSON.stringify(c.Cmd)}` };
    case 'ENTRYPOINT':
      // Docker: a new ENTRYPOINT drops the CMD inherited from the base image (not one set in this stage)
      c.Entrypoint = ins.json ?? (ins.raw.trim() ? commandOf(ins, c.Shell) : null);
      if (!ctx.stage?.cmdSet) c.Cmd = null;
      return { config: c, createdBy: `ENTRYPOINT ${JSON.stringify(c.Entrypoint)}` };
    case 'SHELL':
      c.Shell = ins.json!;
      return { config: c, createdBy: `SHELL ${JSON.stringify(c.Shell)}` };
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), ins.raw.trim()];
      return { config: c, createdBy: `ONBUILD ${ins.raw.trim()}` };
    case 'HEALTHCHECK': {
      const [kind = '', ...rest] = ins.raw.trim().split(/\s+/);
      if (kind.toUpperCase() === 'NONE') {
        if (rest.length || Object.keys(ins.flags).length) throw new InvalidArgument(`Dockerfile:${ins.line}: HEALTHCHECK NONE takes no arguments`);
        c.Healthcheck = { Test: ['NONE'] };
        return { config: c, createdBy: 'HEALTHCHECK NONE' };
      }
      if (kind.toUpperCase() !== 'CMD') throw new InvalidArgument(`Dockerfile:${ins.line}: HEALTHCHECK needs CMD or NONE, got "${kind}"`);
      const cmdText = ins.raw.trim().slice(kind.length).trim();
      const json = cmdText.startsWith('[') ? (() => { try { const v = JSON.parse(cmdText) as unknown; return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined; } catch { return undefined; } })() : undefined;
      const hc: NonNullable<ImageRunConfig['Healthcheck']> = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', cmdText] };
      const f = ins.flags;
      if (f.interval) hc.Interval = parseDuration(f.interval, ins.line, 'interval');
      if (f.timeout) hc.Timeout = parseDuration(f.timeout, ins.line, 'timeout');
      if (f['start-period']) hc.StartPeriod = parseDuration(f['start-period'], ins.line, 'start-period');
      if (f['start-interval']) hc.StartInterval = parseDuration(f['start-interval'], ins.line, 'start-interval');
      if (f.retries) {
        if (!/^\d+$/.test(f.retries)) throw new InvalidArgument(`Dockerfile:${ins.line}: --retries must be a whole number`);
        hc.Retries = Number(f.retries);
      }
      c.Healthcheck = hc;
      return { config: c, createdBy: `HEALTHCHECK ${JSON.stringify(hc.Test)}` };
    }
    default:
      throw new InvalidArgument(`Dockerfile:${ins.line}: ${ins.keyword} is not a metadata instruction`);
  }
}
