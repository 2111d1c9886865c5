import { ComposeError } from './errors.js';
import { interpolateString, InterpolationError, type Lookup } from './interpolate.js';

export interface EnvFileOptions {
  /** variables for `${VAR}` in values (after the file's own earlier entries); also fills bare `KEY` lines */
  lookup?: Lookup;
  /** the name shown in errors */
  file?: string;
}

/**
 * `.env` / `env_file` syntax as Compose reads it: `KEY=VAL` (or `KEY: VAL`), an optional
 * `export ` prefix, `#` comments (inline only after whitespace in unquoted values),
 * single quotes literal, double quotes with `\n \t \\ \"` escapes, both may span lines,
 * `${VAR}` substituted in unquoted and double-quoted values, and a bare `KEY` taking
 * its value from the lookup (left out when that has none).
 */
export function readEnvFile(text: string, opts: EnvFileOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup: Lookup = (name) => (Object.hasOwn(out, name) ? out[name] : opts.lookup?.(name));
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  let line = 1;
  const fail = (msg: string, at = line): never => {
    throw new ComposeError(msg, opts.file ? { file: opts.file, line: at, col: 1 } : undefined);
  };
  while (pos < src.length) {
    const eol = src.indexOf('\n', pos);
    const end = eol < 0 ? src.length : eol;
    const raw = src.slice(pos, end);
    const startLine = line;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = end + 1;
      line++;
      continue;
    }
    const m = /^\s*(?:export\s+)?([A-Za-z0-9_.\-[\]]+)\s*(?:([=:])\s*)?/.exec(raw);
    if (!m || (!m[2] && raw.slice(m[0].length).trim() !== '' && !raw.slice(m[0].length).trim().startsWith('#'))) {
      fail(`invalid line in env file: ${JSON.stringify(trimmed)}`);
    }
    const key = m![1]!;
    if (!m![2]) {
      const v = opts.lookup?.(key);
      if (v !== undefined) out[key] = v;
      pos = end + 1;
      line++;
      continue;
    }
    let i = pos + m![0].length;
    const quote = src[i];
    if (quote === "'" || quote === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) fail(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted value for ${key}`, startLine);
        const ch = src[i]!;
        if (ch === quote) break;
        if (ch === '\n') line++;
        if (quote === '"' && ch === '\\' && i + 1 < src.length) {
          const n = src[i + 1]!;
          value += ({ n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$$' } as Record<string, string>)[n] ?? `\\${n}`;
          i += 2;
          continue;
        }
        // `$` in single quotes is literal: double it so substitution below leaves it alone
        value += quote === "'" && ch === '$' ? '$$' : ch;
        i++;
      }
      i++;
      const rest = src.slice(i, src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i));
      if (rest.trim() !== '' && !rest.trim().startsWith('#')) fail(`unexpected text after quoted value for ${key}: ${JSON.stringify(rest.trim())}`);
      out[key] = expand(value, key, startLine);
      pos = i + rest.length + 1;
      line++;
      continue;
    }
    let value = src.slice(i, end);
    const comment = /(^|\s)#/.exec(value);
    if (comment) value = value.slice(0, comment.index);
    out[key] = expand(value.trim(), key, startLine);
    pos = end + 1;
    line++;
  }
  return out;

  function expand(value: string, key: string, at: number): string {
    try {
      return interpolateString(value, lookup).value;
    } catch (e) {
      if (e instanceof InterpolationError) fail(`${key}: ${e.message}`, at);
      throw e;
    }
  }
}
