// text/template's builtin functions plus the ones docker's CLI adds (json, join, upper, …).
import { sprintf } from './printf.js';
import { formatValue, GoStruct, goType, isMap, truth } from './values.js';

/** a function's failure; the evaluator prefixes Go's `error calling NAME:` */
export class FuncError extends Error {}

export type Func = (...args: unknown[]) => unknown;

const str = (v: unknown, fn: string): string => {
  if (typeof v !== 'string') throw new FuncError(`wrong type for value; expected string; got ${goType(v)}`);
  void fn;
  return v;
};

function length(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new FuncError(`len of type ${goType(v)}`);
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (cur === null || cur === undefined) throw new FuncError('index of untyped nil');
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new FuncError(`cannot index slice/array with type ${goType(k)}`);
      if (k < 0 || k >= cur.length) throw new FuncError(`index out of range: ${k}`);
      cur = typeof cur === 'string' ? Buffer.from(cur)[k] : cur[k];
    } else if (isMap(cur)) {
      if (typeof k !== 'string') throw new FuncError(`value has type ${goType(k)}; should be string`);
      // a missing key is the zero value: "" in docker's string maps (labels), else no value
      const values = Object.values(cur);
      cur = Object.hasOwn(cur, k) ? cur[k] : values.every((x) => typeof x === 'string') ? '' : undefined;
    } else throw new FuncError(`can't index item of type ${goType(cur)}`);
  }
  return cur;
}

function slice(v: unknown, ...bounds: unknown[]): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new FuncError(`can't slice item of type ${goType(v)}`);
  const [i = 0, j = v.length] = bounds as number[];
  if (i < 0 || j > v.length || i > j) throw new FuncError(`index out of range: ${Math.max(i, j)}`);
  return v.slice(i, j);
}

/** what eq/lt… compare: Go refuses to compare values of different kinds */
function comparable(a: unknown, b: unknown): void {
  const kind = (v: unknown) => (v === undefined ? 'nil' : v === null ? 'nil' : typeof v);
  if (kind(a) !== kind(b)) throw new FuncError('incompatible types for comparison');
  if (typeof a === 'object' && a !== null) throw new FuncError(`non-comparable type ${goType(a)}`);
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (!bs.length) throw new FuncError('missing argument for comparison');
  return bs.some((b) => {
    comparable(a, b);
    return (a ?? null) === (b ?? null);
  });
}

function order(a: unknown, b: unknown): number {
  comparable(a, b);
  if (typeof a !== 'number' && typeof a !== 'string') throw new FuncError(`invalid type for comparison`);
  return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
}

/** fmt.Sprint: a space between operands when neither is a string */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a, false);
  });
  return out;
}

/** docker's `json`: encoding/json without HTML escaping; `nil` is null */
export function toJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v, (_k, val: unknown) => (val instanceof GoStruct ? val.toJSON() : val)) ?? 'null';
}

export const FUNCS: Readonly<Record<string, Func>> = {
  and: (...args) => args.find((a) => !truth(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truth(a)) ?? args[args.length - 1],
  not: (v) => !truth(v),
  len: length,
  index,
  slice,
  eq,
  ne: (a, b) => !eq(a, b),
  lt: (a, b) => order(a, b) < 0,
  le: (a, b) => order(a, b) <= 0,
  gt: (a, b) => order(a, b) > 0,
  ge: (a, b) => order(a, b) >= 0,
  print: (...args) => sprint(args),
  printf: (format, ...args) => sprintf(str(format, 'printf'), args),
  println: (...args) => `${args.map((a) => formatValue(a, false)).join(' ')}\n`,
  html: (...args) => sprint(args).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
  js: (...args) => sprint(args).replace(/[\\'"<>&=]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`),
  urlquery: (...args) => encodeURIComponent(sprint(args)).replace(/%20/g, '+'),
  call: (fn, ...args) => {
    if (typeof fn !== 'function') throw new FuncError(`non-function of type ${goType(fn)}`);
    return (fn as Func)(...args);
  },
  // docker's additions (cli/templates)
  json: (v) => toJson(v),
  split: (s, sep) => str(s, 'split').split(str(sep, 'split')),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw new FuncError(`wrong type for value; expected []string; got ${goType(list)}`);
    return list.map((e) => formatValue(e, false)).join(str(sep, 'join'));
  },
  title: (s) => str(s, 'title').replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  lower: (s) => str(s, 'lower').toLowerCase(),
  upper: (s) => str(s, 'upper').toUpperCase(),
  pad: (s, before, after) => ' '.repeat(Number(before)) + str(s, 'pad') + ' '.repeat(Number(after)),
  truncate: (s, n) => [...str(s, 'truncate')].slice(0, Number(n)).join(''),
};

/**
 * docker's header functions: the header row of a `table` format runs the same template over
 * the column names, and these leave a name as it is (`{{upper .Names}}` heads "NAMES").
 */
export const HEADER_FUNCS: Readonly<Record<string, Func>> = {
  ...FUNCS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  pad: (v) => v,
  truncate: (v) => v,
};
