import { ComposeError, joinPath } from './errors.js';
import { locOf } from './yaml-source.js';

/**
 * Compose variable substitution: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` for a literal `$`.
 * Defaults may themselves contain substitutions, as in compose-go. Applied to string
 * values only, never to keys.
 */

export type Lookup = (name: string) => string | undefined;

/** thrown by interpolateString; the tree walker turns it into a located ComposeError */
export class InterpolationError extends Error {}

export interface InterpolateResult {
  value: string;
  /** variables that were unset and had no default (Compose substitutes "" and warns) */
  unset: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolateString(s: string, lookup: Lookup): InterpolateResult {
  const unset: string[] = [];
  const value = new Parser(s, lookup, unset).run();
  return { value, unset };
}

class Parser {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly unset: string[],
  ) {}

  /** reads until the end, or until an unmatched `}` when inside a default */
  run(nested = false): string {
    let out = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (nested && ch === '}') return out;
      if (ch !== '$') {
        out += ch;
        this.pos++;
        continue;
      }
      out += this.dollar();
    }
    if (nested) throw new InterpolationError(`invalid interpolation format for "${this.s}": missing closing "}"`);
    return out;
  }

  private dollar(): string {
    const next = this.s[this.pos + 1];
    if (next === '$') {
      this.pos += 2;
      return '$';
    }
    if (next === '{') return this.braced();
    const m = NAME.exec(this.s.slice(this.pos + 1));
    if (!m) throw new InterpolationError(`invalid interpolation format for "${this.s}": a "$" must start a variable; use "$$" for a literal "$"`);
    this.pos += 1 + m[0].length;
    return this.resolve(m[0]);
  }

  private resolve(name: string): string {
    const v = this.lookup(name);
    if (v === undefined) {
      this.unset.push(name);
      return '';
    }
    return v;
  }

  private braced(): string {
    const start = this.pos;
    this.pos += 2;
    const m = NAME.exec(this.s.slice(this.pos));
    if (!m)
      throw new InterpolationError(
        `invalid interpolation format for "${this.s}": bad variable name in "${this.s.slice(start, this.s.indexOf('}', start) + 1 || undefined)}"`,
      );
    const name = m[0];
    this.pos += name.length;
    if (this.s[this.pos] === '}') {
      this.pos++;
      return this.resolve(name);
    }
    const op = /^:?[-?+]/.exec(this.s.slice(this.pos));
    if (!op) throw new InterpolationError(`invalid interpolation format for "${this.s}": unsupported modifier after \${${name}; use :- - :? ? :+ or +`);
    this.pos += op[0].length;
    // the word is only evaluated when it is used, so an unused default never fails
    const wordStart = this.pos;
    const value = this.lookup(name);
    const set = op[0].startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    const kind = op[0].slice(-1);
    const needWord = (kind === '-' && !set) || (kind === '+' && set) || (kind === '?' && !set);
    const word = needWord ? this.run(true) : this.skipWord(wordStart);
    if (this.s[this.pos] !== '}') throw new InterpolationError(`invalid interpolation format for "${this.s}": missing closing "}"`);
    this.pos++;
    switch (kind) {
      case '-':
        return set ? value! : word;
      case '+':
        return set ? word : '';
      default:
        if (!set) throw new InterpolationError(`required variable ${name} is missing a value${word ? `: ${word}` : ''}`);
        return value!;
    }
  }

  /** moves past an unused default, honouring nested `${…}` */
  private skipWord(from: number): string {
    let depth = 0;
    this.pos = from;
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (ch === '$' && this.s[this.pos + 1] === '$') this.pos += 2;
      else if (ch === '$' && this.s[this.pos + 1] === '{') {
        depth++;
        this.pos += 2;
      } else if (ch === '}') {
        if (depth === 0) return '';
        depth--;
        this.pos++;
      } else this.pos++;
    }
    return '';
  }
}

/**
 * Values the schema wants as numbers or booleans but that a variable may supply as text
 * (`published: ${PORT}`); converted after substitution, as compose-go does for the same
 * paths. `*` matches one key, `[]` one list item.
 */
const CASTS: [string[], 'int' | 'float' | 'bool'][] = (
  [
    ['services.*.ports.[].target', 'int'],
    ['services.*.ports.[].published', 'int'],
    ['services.*.scale', 'int'],
    ['services.*.deploy.replicas', 'int'],
    ['services.*.healthcheck.retries', 'int'],
    ['services.*.healthcheck.disable', 'bool'],
    ['services.*.cpus', 'float'],
    ['services.*.deploy.resources.limits.cpus', 'float'],
    ['services.*.deploy.resources.reservations.cpus', 'float'],
    ['services.*.cpu_count', 'int'],
    ['services.*.cpu_percent', 'float'],
    ['services.*.cpu_shares', 'int'],
    ['services.*.cpu_quota', 'int'],
    ['services.*.cpu_period', 'int'],
    ['services.*.mem_swappiness', 'int'],
    ['services.*.oom_score_adj', 'int'],
    ['services.*.pids_limit', 'int'],
    ['services.*.ulimits.*', 'int'],
    ['services.*.ulimits.*.hard', 'int'],
    ['services.*.ulimits.*.soft', 'int'],
    ['services.*.init', 'bool'],
    ['services.*.privileged', 'bool'],
    ['services.*.read_only', 'bool'],
    ['services.*.stdin_open', 'bool'],
    ['services.*.tty', 'bool'],
    ['services.*.oom_kill_disable', 'bool'],
    ['services.*.volumes.[].read_only', 'bool'],
    ['services.*.volumes.[].bind.create_host_path', 'bool'],
    ['services.*.depends_on.*.required', 'bool'],
    ['services.*.depends_on.*.restart', 'bool'],
    ['services.*.env_file.[].required', 'bool'],
    ['networks.*.external', 'bool'],
    ['networks.*.internal', 'bool'],
    ['networks.*.attachable', 'bool'],
    ['networks.*.enable_ipv6', 'bool'],
    ['volumes.*.external', 'bool'],
  ] as const
).map(([p, t]) => [p.split('.'), t]);

function matches(pattern: readonly string[], segs: readonly (string | number)[]): boolean {
  return (
    pattern.length === segs.length &&
    pattern.every((p, i) => (p === '[]' ? typeof segs[i] === 'number' : p === '*' ? typeof segs[i] === 'string' : p === segs[i]))
  );
}

function cast(segs: readonly (string | number)[], v: string): unknown {
  const kind = CASTS.find(([p]) => matches(p, segs))?.[1];
  if (!kind) return v;
  if (kind === 'bool') {
    if (/^(true|yes|y|on)$/i.test(v)) return true;
    if (/^(false|no|n|off)$/i.test(v)) return false;
    return v;
  }
  if (kind === 'int' && /^[-+]?\d+$/.test(v)) return Number(v);
  if (kind === 'float' && /^[-+]?(\d+\.?\d*|\.\d+)$/.test(v)) return Number(v);
  return v;
}

/**
 * Substitutes in place every string value of a parsed file. Returns the unset variables
 * (Compose warns about them and uses "").
 */
export function interpolateTree(root: unknown, lookup: Lookup): string[] {
  const unset = new Set<string>();
  const walk = (container: Record<string | number, unknown>, key: string | number, segs: (string | number)[]) => {
    const v = container[key];
    if (typeof v === 'string') {
      if (!v.includes('$')) return;
      let r: InterpolateResult;
      try {
        r = interpolateString(v, lookup);
      } catch (e) {
        if (e instanceof InterpolationError) throw new ComposeError(e.message, locOf(container, key), joinPath(segs));
        throw e;
      }
      for (const n of r.unset) unset.add(n);
      container[key] = cast(segs, r.value);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v as unknown as Record<number, unknown>, i, [...segs, i]);
    } else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) walk(v as Record<string, unknown>, k, [...segs, k]);
    }
  };
  if (root && typeof root === 'object') {
    for (const k of Object.keys(root)) walk(root as Record<string, unknown>, k, [k]);
  }
  return [...unset];
}
