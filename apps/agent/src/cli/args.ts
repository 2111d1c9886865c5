import { parseArgs as tokenize } from 'node:util';
import { parseByteSize } from '@skiff/runtime';
import { CliError } from './errors.js';
import type { FlagDef, FlagDefs } from './flag-defs.js';
import { commandHelp, HelpRequested } from './help.js';

export type { FlagDef, FlagDefs } from './flag-defs.js';

type ValueOf<D extends FlagDef> = D['type'] extends 'boolean' ? boolean : D['multiple'] extends true ? string[] : string;
/** the parsed flags of `S`: a flag not given is absent */
export type Flags<S extends FlagDefs> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

export interface Parsed<S extends FlagDefs> {
  flags: Flags<S>;
  args: string[];
}

/**
 * Docker-style flags, tokenized by util.parseArgs: `-it` and `-dit` combine booleans,
 * `-eFOO=1` / `-e FOO=1` / `--env=FOO=1` / `--env FOO=1` all work, multiple flags repeat,
 * `--rm=false` turns a boolean off (`-H=false` does not: util.parseArgs reads it as the
 * group -H -= -f …), `--` ends the flags. With `stopAtPositional` (run, create, exec)
 * everything from the first positional argument on belongs to the command. Unknown flags
 * and missing values get docker's (pflag's) messages. `--help` (and `-h` where no flag
 * takes it) throws HelpRequested with the command's help, made from `defs`.
 */
export function parseFlags<const S extends FlagDefs>(argv: string[], defs: S, opts: { stopAtPositional?: boolean; command: string }): Parsed<S> {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  const byLong = new Map<string, string>();
  const byShort = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    options[name] = def.short ? { type: def.type, short: def.short } : { type: def.type };
    byLong.set(name, name);
    if (def.short) byShort.set(def.short, name);
    for (const alias of def.aliases ?? []) {
      options[alias] = { type: def.type };
      byLong.set(alias, name);
    }
  }
  // strict: false so that the errors are docker's, and values may start with '-' (`--memory-swap -1`)
  const { tokens } = tokenize({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, boolean | string | string[]> = {};
  const args: string[] = [];
  const see = `\nSee 'skiff ${opts.command} --help'.`;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      args.push(...argv.slice(t.index + 1));
      break;
    }
    if (t.kind === 'positional') {
      if (!opts.stopAtPositional) {
        args.push(t.value);
        continue;
      }
      args.push(...argv.slice(t.index));
      break;
    }
    const long = t.rawName.startsWith('--');
    const letter = t.rawName.slice(1);
    if ((long && t.name === 'help' && !defs.help) || (!long && letter === 'h' && !byShort.has('h'))) throw new HelpRequested(commandHelp(opts.command, defs));
    const name = long ? byLong.get(t.name) : byShort.get(letter);
    const def = name === undefined ? undefined : defs[name];
    if (name === undefined || !def)
      throw new CliError(long ? `unknown flag: ${t.rawName}${see}` : `unknown shorthand flag: '${letter}' in ${argv[t.index]}${see}`);
    if (def.type === 'boolean') {
      flags[name] = t.value !== 'false'; // `--rm=false`
      continue;
    }
    if (t.value === undefined) throw new CliError(long ? `flag needs an argument: ${t.rawName}` : `flag needs an argument: '${letter}' in -${letter}`);
    // `-e=FOO` is FOO, as in pflag
    const value = !long && t.inlineValue ? t.value.replace(/^=/, '') : t.value;
    const prev = flags[name];
    if (!def.multiple) flags[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else flags[name] = [value];
  }
  return { flags: flags as Flags<S>, args };
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

/** docker's message for too few arguments */
export function needArgs(args: string[], n: number, command: string, usage: string): void {
  if (args.length < n) throw new CliError(`"skiff ${command}" requires at least ${n} argument${n > 1 ? 's' : ''}.\nUsage: skiff ${command} ${usage}`);
}

/** `v` as one of `choices`: the types the agent takes, checked here so the message names the flag */
export function oneOf<const T extends string>(choices: readonly T[], v: string, flag: string): T {
  const hit = choices.find((c) => c === v);
  if (hit === undefined) throw new CliError(`invalid argument "${v}" for "${flag}" flag: want ${choices.join(', ')}`);
  return hit;
}
