// Go text/template's lexer, for the templates docker users pass to --format.
import { TemplateError } from './errors.js';

export type TokenKind =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'field' // .Name
  | 'variable' // $ or $name
  | 'dot'
  | 'identifier'
  | 'keyword'
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** the token's source text; for strings, the unquoted value */
  value: string;
  /** byte offset in the template, for Go's `:line:col` in errors */
  pos: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** `line` (1-based) and `col` (offset in the line) as Go reports them */
export function position(src: string, pos: number): { line: number; col: number } {
  const before = src.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, col: pos - (nl + 1) };
}

function lineOf(src: string, pos: number): number {
  return position(src, pos).line;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string) => /[\p{L}\p{N}_]/u.test(c);

/** Splits a template into text and action tokens, handling `{{-`/`-}}` trimming and comments. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (pos: number, msg: string): never => {
    throw new TemplateError(`template: :${lineOf(src, pos)}: ${msg}`);
  };
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    const end = open < 0 ? src.length : open;
    let text = src.slice(i, end);
    const trimLeft = open >= 0 && src.startsWith('{{- ', open);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) out.push({ kind: 'text', value: text, pos: i });
    if (open < 0) break;
    i = open + 2 + (trimLeft ? 2 : 0);
    // comments: {{/* … */}} and {{- /* … */ -}}
    if (src.startsWith('/*', i)) {
      const close = src.indexOf('*/', i);
      if (close < 0) fail(open, 'unclosed comment');
      i = close + 2;
      const trimRight = src.startsWith(' -}}', i);
      if (!trimRight && !src.startsWith('}}', i)) fail(open, 'comment ends before closing delimiter');
      i += trimRight ? 4 : 2;
      if (trimRight) while (i < src.length && isSpace(src[i]!)) i++;
      continue;
    }
    out.push({ kind: 'left', value: '{{', pos: open });
    i = lexAction(src, i, out, fail);
  }
  out.push({ kind: 'eof', value: '', pos: src.length });
  return out;
}

/** The inside of one action, from after `{{` to after `}}`; returns the new offset. */
function lexAction(src: string, start: number, out: Token[], fail: (pos: number, msg: string) => never): number {
  let i = start;
  let parens = 0;
  for (;;) {
    if (i >= src.length) fail(start, 'unclosed action');
    if (src.startsWith(' -}}', i) || src.startsWith('}}', i)) {
      if (parens > 0) fail(i, 'unclosed left paren');
      const trim = src[i] === ' ';
      out.push({ kind: 'right', value: '}}', pos: i });
      i += trim ? 4 : 2;
      if (trim) while (i < src.length && isSpace(src[i]!)) i++;
      return i;
    }
    const c = src[i]!;
    const pos = i;
    if (isSpace(c)) {
      while (i < src.length && isSpace(src[i]!) && !src.startsWith(' -}}', i)) i++;
      out.push({ kind: 'space', value: ' ', pos });
      continue;
    }
    if (c === '|') out.push({ kind: 'pipe', value: c, pos });
    else if (c === '(') {
      parens++;
      out.push({ kind: 'leftParen', value: c, pos });
    } else if (c === ')') {
      if (--parens < 0) fail(pos, `unexpected right paren`);
      out.push({ kind: 'rightParen', value: c, pos });
    } else if (c === ',') out.push({ kind: 'comma', value: c, pos });
    else if (c === '=') out.push({ kind: 'assign', value: c, pos });
    else if (c === ':') {
      if (src[i + 1] !== '=') fail(pos, 'expected :=');
      out.push({ kind: 'declare', value: ':=', pos });
      i++;
    } else if (c === '"' || c === '`') {
      i = lexString(src, i, out, fail);
      continue;
    } else if (c === "'") {
      const m = /^'(\\.|[^\\'])'/u.exec(src.slice(i));
      if (!m) fail(pos, 'unterminated character constant');
      out.push({ kind: 'number', value: String(unquoteGo(m![1]!).codePointAt(0)), pos });
      i += m![0].length;
      continue;
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      let j = i + 1;
      while (j < src.length && isAlnum(src[j]!)) j++;
      out.push(j === i + 1 ? { kind: 'dot', value: '.', pos } : { kind: 'field', value: src.slice(i + 1, j), pos });
      i = j;
      continue;
    } else if (c === '$') {
      let j = i + 1;
      while (j < src.length && isAlnum(src[j]!)) j++;
      out.push({ kind: 'variable', value: src.slice(i, j), pos });
      i = j;
      continue;
    } else if (/[0-9+\-.]/.test(c)) {
      const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(src.slice(i));
      if (!m?.[0] || m[0] === '+' || m[0] === '-') fail(pos, `bad number syntax: "${c}"`);
      out.push({ kind: 'number', value: m![0], pos });
      i += m![0].length;
      continue;
    } else if (isAlnum(c)) {
      let j = i;
      while (j < src.length && isAlnum(src[j]!)) j++;
      const word = src.slice(i, j);
      const kind: TokenKind = KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier';
      out.push({ kind, value: word, pos });
      i = j;
      continue;
    } else fail(pos, `unexpected "${c}" in command`);
    i++;
  }
}

function lexString(src: string, start: number, out: Token[], fail: (pos: number, msg: string) => never): number {
  const quote = src[start]!;
  let i = start + 1;
  if (quote === '`') {
    const close = src.indexOf('`', i);
    if (close < 0) fail(start, 'unterminated raw quoted string');
    out.push({ kind: 'string', value: src.slice(i, close), pos: start });
    return close + 1;
  }
  let raw = '';
  for (;;) {
    const c = src[i];
    if (c === undefined || c === '\n') fail(start, 'unterminated quoted string');
    if (c === '"') break;
    if (c === '\\') {
      raw += c + (src[i + 1] ?? '');
      i += 2;
      continue;
    }
    raw += c;
    i++;
  }
  out.push({ kind: 'string', value: unquoteGo(raw), pos: start });
  return i + 1;
}

/** Go's escapes in "…" strings: \n \t \\ \" \xHH \uHHHH */
function unquoteGo(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    if (/^[xuU]/.test(e)) return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    return simple[e] ?? `\\${e}`;
  });
}
