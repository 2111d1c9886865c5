/**
 * The `${NAME}` references of a template's compose strings, in Compose's own syntax so a
 * template reads like any compose file: `${NAME}` or `$NAME` names a parameter and `$$` is
 * a literal `$`. Modifiers (`${NAME:-x}`) are refused: a parameter's default says that.
 */
export type Part = { text: string } | { ref: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** the string split into literal text (kept in compose syntax, `$$` and all) and references */
export function scanReferences(s: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch !== '$') {
      text += ch;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      text += '$$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    if (next === '{') {
      const m = NAME.exec(s.slice(i + 2));
      if (!m || s[i + 2 + m[0].length] !== '}')
        throw new Error(`"${s}": only \${NAME} and $NAME are substituted in a template (defaults go in the parameter); "$$" is a literal "$"`);
      name = m[0];
      i += 3 + name.length;
    } else {
      const m = NAME.exec(s.slice(i + 1));
      if (!m) throw new Error(`"${s}": a "$" must start a parameter reference; use "$$" for a literal "$"`);
      name = m[0];
      i += 1 + name.length;
    }
    if (text) parts.push({ text });
    text = '';
    parts.push({ ref: name });
  }
  if (text) parts.push({ text });
  return parts;
}

export const referencesOf = (s: string): string[] => scanReferences(s).flatMap((p) => ('ref' in p ? [p.ref] : []));
