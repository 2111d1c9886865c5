import { InvalidArgument } from '../errors.js';
import type { ImageConfig } from '../types.js';

/** The Dockerfile instructions `docker import -c` / `docker commit -c` accept. */
const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** JSON (exec) form when the argument is a JSON array of strings, else shell form. */
function commandOf(arg: string): string[] {
  if (arg.startsWith('[')) {
    try {
      const v = JSON.parse(arg) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      /* shell form */
    }
  }
  return ['/bin/sh', '-c', arg];
}

function listOf(arg: string): string[] {
  if (arg.startsWith('[')) {
    try {
      const v = JSON.parse(arg) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      /* whitespace separated */
    }
  }
  return arg.split(/\s+/).filter(Boolean);
}

const unquote = (s: string) => (/^"(.*)"$/s.test(s) ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);

/** `K=V K2="v 2"` pairs, or the legacy `K V` form with a single key. */
function pairsOf(arg: string, what: string): [string, string][] {
  if (!/^[^\s=]+=/.test(arg)) {
    const m = /^(\S+)\s+(.*)$/s.exec(arg);
    if (!m) throw new InvalidArgument(`${what} needs KEY=VALUE (got "${arg}")`);
    return [[m[1]!, m[2]!]];
  }
  const out: [string, string][] = [];
  for (const token of arg.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const i = token.indexOf('=');
    if (i <= 0) throw new InvalidArgument(`${what} needs KEY=VALUE (got "${token}")`);
    out.push([unquote(token.slice(0, i)), unquote(token.slice(i + 1))]);
  }
  return out;
}

/** Applies `-c` changes (Dockerfile instructions) to an image config. */
export function applyChanges(base: ImageConfig, changes: string[] = []): ImageConfig {
  const config: ImageConfig = structuredClone(base);
  for (const change of changes) {
    const m = /^\s*(\S+)\s*(.*?)\s*$/s.exec(change);
    const instruction = m?.[1]?.toUpperCase() ?? '';
    const arg = m?.[2] ?? '';
    if (!ALLOWED.includes(instruction)) throw new InvalidArgument(`${instruction || change} is not a valid change command (allowed: ${ALLOWED.join(', ')})`);
    if (!arg) throw new InvalidArgument(`${instruction} needs an argument`);
    switch (instruction) {
      case 'CMD':
        config.Cmd = commandOf(arg);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandOf(arg);
        break;
      case 'ENV': {
        const env = [...(config.Env ?? [])];
        for (const [k, v] of pairsOf(arg, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        config.Env = env;
        break;
      }
      case 'LABEL':
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairsOf(arg, 'LABEL')) };
        break;
      case 'EXPOSE':
        for (const p of listOf(arg)) {
          if (!/^\d{1,5}(?:-\d{1,5})?(?:\/(?:tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgument(`invalid port in EXPOSE: ${p}`);
          (config.ExposedPorts ??= {})[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      case 'VOLUME':
        for (const v of listOf(arg)) (config.Volumes ??= {})[v] = {};
        break;
      case 'USER':
        config.User = arg;
        break;
      case 'WORKDIR':
        config.WorkingDir = arg.startsWith('/') ? arg : `${config.WorkingDir ?? '/'}${(config.WorkingDir ?? '/').endsWith('/') ? '' : '/'}${arg}`;
        break;
      case 'STOPSIGNAL':
        config.StopSignal = arg;
        break;
      case 'ONBUILD':
        break; // stored by Docker for builds; Skiff's config has no place for it yet
    }
  }
  return config;
}
