// fmt.Sprintf's common verbs, for `{{printf "%-10s" .Name}}`.
import { formatValue, goType } from './values.js';

const quote = (s: string) => JSON.stringify(s);

function pad(s: string, width: number | undefined, flags: string): string {
  if (width === undefined || [...s].length >= width) return s;
  const fill = ' '.repeat(width - [...s].length);
  if (flags.includes('-')) return s + fill;
  if (flags.includes('0') && /^[+-]?[\d.]/.test(s)) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(width - [...s].length) + s.slice(sign.length);
  }
  return fill + s;
}

function verb(c: string, v: unknown, flags: string, precision: number | undefined): string {
  switch (c) {
    case 'v':
      return formatValue(v, false);
    case 's':
      return precision === undefined ? formatValue(v, false) : [...formatValue(v, false)].slice(0, precision).join('');
    case 'q':
      return typeof v === 'number' ? `'${String.fromCodePoint(v)}'` : quote(formatValue(v, false));
    case 'd':
      return typeof v === 'number' ? (flags.includes('+') && v >= 0 ? '+' : '') + Math.trunc(v).toString() : `%!d(${goType(v)}=${formatValue(v, false)})`;
    case 'x':
    case 'X': {
      const s = typeof v === 'number' ? Math.trunc(v).toString(16) : Buffer.from(formatValue(v, false)).toString('hex');
      return c === 'X' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'F':
      return typeof v === 'number' ? v.toFixed(precision ?? 6) : `%!f(${goType(v)}=${formatValue(v, false)})`;
    case 't':
      return typeof v === 'boolean' ? String(v) : `%!t(${goType(v)}=${formatValue(v, false)})`;
    case 'T':
      return goType(v);
    default:
      return `%!${c}(${goType(v)}=${formatValue(v, false)})`;
  }
}

export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  const out = format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width?: string, prec?: string, c?: string) => {
    if (c === '%') return '%';
    if (n >= args.length) return `%!${c}(MISSING)`;
    const s = verb(c!, args[n++], flags, prec === undefined ? undefined : Number(prec));
    return pad(s, width === undefined ? undefined : Number(width), flags);
  });
  return n < args.length
    ? `${out}%!(EXTRA ${args
        .slice(n)
        .map((a) => `${goType(a)}=${formatValue(a, false)}`)
        .join(', ')})`
    : out;
}
