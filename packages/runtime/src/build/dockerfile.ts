import { DockerfileParser, type Instruction as AstInstruction } from 'dockerfile-ast';
import { InvalidArgument } from '../errors.js';
import { processWord, processWords } from './shell-words.js';

/**
 * A Dockerfile parsed into stages of instructions. `dockerfile-ast` (the parser behind
 * VS Code's Docker language server) does the lexing — the escape directive, line
 * continuations, comments inside continuations, flags; this module adds Docker's
 * semantics: stages, JSON vs shell forms, and errors that name the line.
 */

export const KEYWORDS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
  'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface Instruction {
  keyword: Keyword;
  /** 1-based line where the instruction starts */
  line: number;
  /** `--name=value` flags (COPY --from, --chown, RUN --network, HEALTHCHECK --interval…) */
  flags: Record<string, string>;
  /** the arguments after the flags, continuations joined, nothing expanded */
  raw: string;
  /** set when the arguments are a JSON array of strings (exec form) */
  json?: string[];
  /** the original text, as `docker history` shows it */
  original: string;
}

export interface Stage {
  index: number;
  /** `AS name`, lower-cased as Docker does */
  name?: string;
  /** the base as written (`busybox:${TAG}`, `scratch`, or an earlier stage's name) */
  from: string;
  platform?: string;
  line: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: string;
  /** ARGs before the first FROM: usable in FROM lines only (and re-declarable inside stages) */
  globalArgs: { name: string; value?: string }[];
  stages: Stage[];
}

function fail(line: number, message: string): never {
  throw new InvalidArgument(`Dockerfile:${line}: ${message}`);
}

/** JSON exec form: only a JSON array of strings counts; anything else is shell form (Docker's rule) */
function jsonForm(raw: string): string[] | undefined {
  const t = raw.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

function flagsOf(i: AstInstruction, line: number): Record<string, string> {
  const getFlags = (i as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] }).getFlags;
  const out: Record<string, string> = {};
  for (const f of getFlags?.call(i) ?? []) {
    const name = f.getName();
    if (name in out && name !== 'mount') fail(line, `duplicate flag --${name}`);
    out[name] = f.getValue() ?? 'true';
  }
  return out;
}

const ALLOWED_FLAGS: Partial<Record<Keyword, string[]>> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude'],
  RUN: ['network', 'mount', 'security'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

export function parseDockerfile(text: string): Dockerfile {
  if (Buffer.byteLength(text) > 1024 * 1024) throw new InvalidArgument('Dockerfile is larger than 1 MiB');
  const ast = DockerfileParser.parse(text);
  const lines = text.split('\n');
  const df: Dockerfile = { escape: ast.getEscapeCharacter(), globalArgs: [], stages: [] };
  const names = new Set<string>();
  for (const i of ast.getInstructions()) {
    const range = i.getRange();
    const line = range.start.line + 1;
    const keyword = i.getKeyword().toUpperCase();
    if (!(KEYWORDS as readonly string[]).includes(keyword)) fail(line, `unknown instruction: ${i.getInstruction()}`);
    const kw = keyword as Keyword;
    const flags = flagsOf(i, line);
    for (const f of Object.keys(flags)) {
      if (!ALLOWED_FLAGS[kw]?.includes(f)) fail(line, `unknown flag for ${kw}: --${f}`);
    }
    const raw = i.getArgumentsContent() ?? '';
    if (/^<<-?["']?\w+/.test(raw.trim())) fail(line, `heredocs (${raw.trim().split(/\s/)[0]}) are not supported yet`);
    const original = lines.slice(range.start.line, range.end.line + 1).join('\n').trim();
    const ins: Instruction = { keyword: kw, line, flags, raw, original };
    if (kw === 'RUN' || kw === 'CMD' || kw === 'ENTRYPOINT' || kw === 'SHELL' || kw === 'VOLUME' || kw === 'COPY' || kw === 'ADD') {
      const j = jsonForm(raw);
      if (j) ins.json = j;
    }
    if (kw === 'SHELL' && !ins.json) fail(line, 'SHELL requires the arguments to be in JSON form');
    if (kw !== 'FROM' && kw !== 'ARG' && kw !== 'MAINTAINER' && kw !== 'ONBUILD' && !raw.trim() && !(kw === 'CMD' || kw === 'ENTRYPOINT')) {
      fail(line, `${kw} requires at least one argument`);
    }
    if (kw === 'FROM') {
      const words = raw.trim().split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) fail(line, 'FROM requires either one or three arguments: FROM IMAGE [AS NAME]');
      const name = words[2]?.toLowerCase();
      if (name !== undefined) {
        if (!/^[a-z][a-z0-9_.-]*$/.test(name)) fail(line, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
        if (names.has(name)) fail(line, `duplicate name for build stage: "${name}"`);
        names.add(name);
      }
      df.stages.push({ index: df.stages.length, name, from: words[0]!, platform: flags.platform, line, instructions: [] });
      continue;
    }
    const stage = df.stages.at(-1);
    if (!stage) {
      if (kw !== 'ARG') fail(line, `no build stage in current context: ${kw} before the first FROM`);
      df.globalArgs.push(...parseArg(raw, line, df.escape));
      continue;
    }
    if (kw === 'ONBUILD') {
      const inner = raw.trim().split(/\s+/)[0]?.toUpperCase();
      if (!inner) fail(line, 'ONBUILD requires an instruction');
      if (inner === 'ONBUILD' || inner === 'FROM' || inner === 'MAINTAINER') fail(line, `${inner} isn't allowed as an ONBUILD trigger`);
    }
    stage.instructions.push(ins);
  }
  if (!df.stages.length) throw new InvalidArgument('Dockerfile: no FROM instruction: a Dockerfile must start with FROM (after optional ARGs)');
  return df;
}

/** `ARG a=1 b` → [{a,1},{b}] (values expanded later, when they are used) */
export function parseArg(raw: string, line: number, escape = '\\'): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  for (const w of processWords(raw, () => undefined, escape, { expand: false })) {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(line, `invalid ARG name "${name}"`);
    out.push(eq < 0 ? { name } : { name, value: w.slice(eq + 1) });
  }
  if (!out.length) fail(line, 'ARG requires at least one argument');
  return out;
}

/**
 * `ENV`/`LABEL` pairs with variables expanded and quotes removed: `K=V K2="v 2"`, or the
 * legacy `ENV K the rest of the line` form.
 */
export function keyValues(ins: Instruction, lookup: (name: string) => string | undefined, escape: string): [string, string][] {
  const words = processWords(ins.raw, lookup, escape);
  if (!words.length) fail(ins.line, `${ins.keyword} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    if (ins.keyword !== 'ENV' && ins.keyword !== 'LABEL') fail(ins.line, `${ins.keyword} needs KEY=VALUE`);
    // legacy `ENV KEY value with spaces`: one pair, the value is the rest of the line
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(ins.raw);
    if (!m) fail(ins.line, `${ins.keyword} ${words[0]} needs a value: ${ins.keyword} ${words[0]}=VALUE`);
    return [[processWord(m[1]!, lookup, escape), processWord(m[2]!.trim(), lookup, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) fail(ins.line, `${ins.keyword} names can not be blank: "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}
