import { posix } from 'node:path';
import { InvalidArgument } from '../errors.js';
import { parseSignal } from '../container/signals.js';
import type { ImageConfig } from '../types.js';

/** The Dockerfile instructions `docker commit --change` / `import --change` accept. */
export const COMMIT_CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'WORKDIR', 'VOLUME', 'STOPSIGNAL', 'ONBUILD'] as const;

/**
 * Splits an instruction's arguments into words the way the Dockerfile parser does for
 * ENV/LABEL/EXPOSE/VOLUME: whitespace separates, double and single quotes group (and are
 * removed), a backslash escapes the next character outside single quotes.
 */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < s.length) cur += s[++i];
    else cur += ch;
  }
  if (quote) throw new InvalidArgument(`unmatched ${quote} in "${s}"`);
  if (inWord) words.push(cur);
  return words;
}

/** `["a", "b"]` (exec form) or anything else (shell form, run by `/bin/sh -c`) */
function execOrShell(rest: string, instr: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // not JSON after all: shell form, as Docker falls back
    }
  }
  if (!t) throw new InvalidArgument(`${instr} requires at least one argument`);
  return ['/bin/sh', '-c', t];
}

/** `k=v k2="v 2"`, or the legacy `KEY value with spaces` (ENV/LABEL with one pair) */
function keyValues(rest: string, instr: string): [string, string][] {
  const words = splitWords(rest);
  if (!words.length) throw new InvalidArgument(`${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    if (words.length < 2) throw new InvalidArgument(`${instr} must have two arguments`);
    const key = words[0]!;
    // legacy form: everything after the first whitespace run is the value, verbatim
    return [[key, rest.trim().slice(rest.trim().indexOf(key) + key.length).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`${instr}: "${w}" is not of the form key=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/**
 * Applies `--change` lines (Dockerfile instructions, JSON or shell form) to an image
 * config, returning a new one. Unknown or disallowed instructions are InvalidArgument,
 * with Docker's wording. No variable substitution is done.
 */
export function applyChanges(config: ImageConfig & { OnBuild?: string[] | null }, changes: string[]): ImageConfig & { OnBuild?: string[] | null } {
  const out = structuredClone(config);
  for (const change of changes) {
    const line = change.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2] ?? '';
    switch (instr) {
      case 'CMD':
        out.Cmd = execOrShell(rest, instr);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = execOrShell(rest, instr);
        break;
      case 'ENV': {
        const env = [...(out.Env ?? [])];
        for (const [k, v] of keyValues(rest, instr)) {
          const i = env.findIndex((e) => e === k || e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        out.Env = env;
        break;
      }
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}), ...Object.fromEntries(keyValues(rest, instr)) };
        break;
      case 'EXPOSE': {
        const ports = { ...(out.ExposedPorts ?? {}) };
        const words = splitWords(rest);
        if (!words.length) throw new InvalidArgument('EXPOSE requires at least one argument');
        for (const w of words) {
          const pm = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!pm) throw new InvalidArgument(`invalid containerPort: ${w}`);
          const from = Number(pm[1]);
          const to = pm[2] ? Number(pm[2]) : from;
          if (from < 1 || to > 65535 || to < from) throw new InvalidArgument(`invalid port range: ${w}`);
          for (let p = from; p <= to; p++) ports[`${p}/${(pm[3] ?? 'tcp').toLowerCase()}`] = {};
        }
        out.ExposedPorts = ports;
        break;
      }
      case 'USER': {
        const words = splitWords(rest);
        if (words.length !== 1) throw new InvalidArgument('USER requires exactly one argument');
        out.User = words[0]!;
        break;
      }
      case 'WORKDIR': {
        const dir = splitWords(rest).join(' ');
        if (!dir) throw new InvalidArgument('WORKDIR requires exactly one argument');
        out.WorkingDir = posix.resolve(out.WorkingDir || '/', dir);
        break;
      }
      case 'VOLUME': {
        const t = rest.trim();
        let list: string[];
        if (t.startsWith('[')) {
          try {
            list = JSON.parse(t) as string[];
            if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new Error();
          } catch {
            list = splitWords(t);
          }
        } else list = splitWords(t);
        if (!list.length || list.some((v) => !v)) throw new InvalidArgument('VOLUME specified can not be an empty string');
        out.Volumes = { ...(out.Volumes ?? {}), ...Object.fromEntries(list.map((v) => [v, {}])) };
        break;
      }
      case 'STOPSIGNAL': {
        const words = splitWords(rest);
        if (words.length !== 1) throw new InvalidArgument('STOPSIGNAL requires exactly one argument');
        parseSignal(words[0]!);
        out.StopSignal = words[0]!;
        break;
      }
      case 'ONBUILD':
        if (!rest.trim()) throw new InvalidArgument('ONBUILD requires at least one argument');
        out.OnBuild = [...(out.OnBuild ?? []), rest.trim()];
        break;
      default:
        throw new InvalidArgument(
          COMMIT_CHANGE_INSTRUCTIONS.includes(instr as never) || /^(FROM|RUN|COPY|ADD|ARG|SHELL|HEALTHCHECK|MAINTAINER)$/.test(instr)
            ? `${instr} is not a valid change command`
            : `dockerfile parse error: unknown instruction: ${m[1]}`,
        );
    }
  }
  return out;
}
