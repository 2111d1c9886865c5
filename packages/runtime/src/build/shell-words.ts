import { InvalidArgument } from '../errors.ts';

/**
 * Docker's Dockerfile word processing (moby/buildkit `frontend/dockerfile/shell/lex.go`):
 * quotes, the escape character, and `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?message}` expansion. Used for the instructions
 * Docker expands (FROM, ENV, ARG, LABEL, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME,
 * STOPSIGNAL); RUN, CMD and ENTRYPOINT are left to the container's shell.
 */

export type Lookup = (name: string) => string | undefined;

interface Options {
  /** false: keep `$…` as written (ARG defaults are expanded when used) */
  expand?: boolean;
}

class Lexer {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
    private readonly opts: Options,
  ) {}

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  /** words split on unquoted whitespace; `split: false` returns one word, whitespace kept */
  words(split: boolean, stopAt?: string): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || (stopAt !== undefined && ch === stopAt)) break;
      if (split && /\s/.test(ch)) {
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        this.pos++;
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        const next = this.peek();
        if (next === undefined) cur += this.escape;
        else {
          cur += next;
          this.pos++;
        }
      } else if (ch === "'") {
        this.pos++;
        const end = this.s.indexOf("'", this.pos);
        if (end < 0) throw new InvalidArgument(`unexpected end of statement while looking for matching single-quote in: ${this.s}`);
        cur += this.s.slice(this.pos, end);
        this.pos = end + 1;
      } else if (ch === '"') {
        this.pos++;
        cur += this.doubleQuoted();
      } else if (ch === '$') {
        cur += this.dollar();
      } else {
        cur += ch;
        this.pos++;
      }
    }
    if (inWord || !split) out.push(cur);
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new InvalidArgument(`unexpected end of statement while looking for matching double-quote in: ${this.s}`);
      this.pos++;
      if (ch === '"') return out;
      if (ch === this.escape) {
        const next = this.peek();
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos++;
        } else out += ch;
      } else if (ch === '$') {
        this.pos--;
        out += this.dollar();
      } else out += ch;
    }
  }

  private dollar(): string {
    const start = this.pos;
    this.pos++; // the $
    if (this.opts.expand === false) {
      // keep the reference as written, braces included
      if (this.peek() === '{') {
        const end = this.s.indexOf('}', this.pos);
        this.pos = end < 0 ? this.s.length : end + 1;
      } else while (/[A-Za-z0-9_]/.test(this.peek() ?? '')) this.pos++;
      return this.s.slice(start, this.pos);
    }
    if (this.peek() !== '{') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(this.s.slice(this.pos));
      if (!m) return '$';
      this.pos += m[0].length;
      return this.lookup(m[0]) ?? '';
    }
    this.pos++; // the {
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(this.s.slice(this.pos));
    if (!m) throw new InvalidArgument(`bad substitution: ${this.s.slice(start)}`);
    const name = m[0];
    this.pos += name.length;
    if (this.peek() === '}') {
      this.pos++;
      return this.lookup(name) ?? '';
    }
    const op = /^(:?[-+?])/.exec(this.s.slice(this.pos));
    if (!op) throw new InvalidArgument(`unsupported modifier in \${${name}${this.s.slice(this.pos, this.pos + 2)}…}: use :- - :+ + or :?`);
    this.pos += op[1]!.length;
    const word = this.words(false, '}')[0] ?? '';
    if (this.peek() !== '}') throw new InvalidArgument(`missing '}' in: ${this.s.slice(start)}`);
    this.pos++;
    const value = this.lookup(name);
    const colon = op[1]!.startsWith(':');
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    switch (op[1]!.slice(-1)) {
      case '-':
        return set ? value! : word;
      case '+':
        return set ? word : '';
      default:
        if (!set) throw new InvalidArgument(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }
}

/** one word: quotes removed, variables expanded, whitespace kept */
export function processWord(s: string, lookup: Lookup, escape = '\\', opts: Options = {}): string {
  return new Lexer(s, lookup, escape, opts).words(false)[0] ?? '';
}

/** words split on unquoted whitespace, each with quotes removed and variables expanded */
export function processWords(s: string, lookup: Lookup, escape = '\\', opts: Options = {}): string[] {
  return new Lexer(s, lookup, escape, opts).words(true);
}
