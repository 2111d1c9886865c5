import { InvalidArgument } from '../errors.js';

const SPECIAL = /[.*+?^${}()|[\]\\/]/g;

/**
 * Go's path.Match (and filepath.Match on Linux), which Docker uses for COPY/ADD sources and
 * dockerd for `reference` filters: `*` and `?` stop at `/`, `[a-z]` / `[^a-z]` classes, `\`
 * escapes. The whole name must match. A malformed pattern is Go's ErrBadPattern
 * ("syntax error in pattern").
 */
export function pathPattern(pattern: string): RegExp {
  const bad = () => new InvalidArgument(`syntax error in pattern: ${pattern}`);
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) throw bad();
      out += pattern[++i]!.replace(SPECIAL, '\\$&');
    } else if (ch === '[') {
      // '[' [ '^' ] { c | lo '-' hi } ']', where c is any character but '\\', '-', ']' unless escaped
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls = '^';
        j++;
      }
      const one = () => {
        const escaped = pattern[j] === '\\';
        const c = pattern[escaped ? ++j : j];
        if (c === undefined || (!escaped && (c === ']' || c === '-'))) throw bad();
        j++;
        return c.replace(/[\]\\^-]/g, '\\$&');
      };
      do {
        cls += one();
        if (pattern[j] === '-') {
          j++;
          cls += `-${one()}`;
        }
      } while (j < pattern.length && pattern[j] !== ']');
      if (pattern[j] !== ']') throw bad();
      // a class never matches the separator either
      out += `(?!/)[${cls}]`;
      i = j;
    } else out += ch.replace(SPECIAL, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}
