import { parseByteSize } from '@skiff/runtime';
import { CliError } from './errors.js';

export type FlagKind = 'bool' | 'string' | 'list';
export interface FlagSpec {
  names: string[]; // ['-d', '--detach']
  kind: FlagKind;
  key: string;
}

export interface Parsed {
  flags: Record<string, boolean | string | string[] | undefined>;
  args: string[];
}

/**
 * Docker-style flags: `-it` and `-dit` combine booleans, `-eFOO=1` / `-e FOO=1` /
 * `--env=FOO=1` / `--env FOO=1` all work, lists repeat. With `stopAtPositional` (run,
 * exec, create) everything after the first positional argument belongs to the command.
 */
export function parseArgs(argv: string[], specs: FlagSpec[], opts: { stopAtPositional?: boolean; command: string }): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  const set = (spec: FlagSpec, value: string | boolean) => {
    if (spec.kind === 'list') ((flags[spec.key] ??= []) as string[]).push(String(value));
    else flags[spec.key] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      const spec = byName.get(name);
      if (!spec) throw new CliError(`unknown flag: ${name}\nSee 'skiff ${opts.command} --help'.`);
      if (spec.kind === 'bool') set(spec, eq > 0 ? a.slice(eq + 1) !== 'false' : true);
      else {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new CliError(`flag needs an argument: ${name}`);
        set(spec, v);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = byName.get(`-${a[j]}`);
        if (!spec) throw new CliError(`unknown shorthand flag: '${a[j]}' in ${a}\nSee 'skiff ${opts.command} --help'.`);
        if (spec.kind === 'bool') {
          set(spec, true);
          continue;
        }
        const rest = a.slice(j + 1);
        const v = rest ? rest.replace(/^=/, '') : argv[++i];
        if (v === undefined) throw new CliError(`flag needs an argument: '${a[j]}' in -${a[j]}`);
        set(spec, v);
        break;
      }
      continue;
    }
    args.push(a);
    if (opts.stopAtPositional) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, args };
}

/** `512m`, `1g`, `1024` (bytes), as docker's -m */
export function parseBytes(v: string, flag: string): number {
  const n = parseByteSize(v);
  if (n === undefined) throw new CliError(`invalid value "${v}" for ${flag}: expected a size like 512m or 1g`);
  return n;
}

export function parseNumber(v: string, flag: string, opts: { integer?: boolean } = {}): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) throw new CliError(`invalid value "${v}" for ${flag}: not a number`);
  return n;
}
