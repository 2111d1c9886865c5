/**
 * One `.env` line per variable, double-quoted with Compose's escapes (`\\ \" \n \r \$`),
 * so a value with quotes, newlines or `$` is read back exactly and cannot start another
 * variable or read one.
 */
export function envLines(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}="${escapeEnv(v)}"\n`)
    .join('');
}

export const escapeEnv = (v: string): string => v.replace(/[\\"\n\r$]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', $: '\\$' })[c]!);
