import { FORMAT } from '../../store/format-version.js';

/**
 * Serialises the shim's `key=value` configuration (see docs/architecture.md, "shim.conf").
 * Lists repeat their key; values escape backslash, newline and tab. The first line is
 * `version=N`: a shim refuses a conf newer than it understands (one without the line,
 * from an older agent, is version 1).
 */
export type ShimConfValue = string | number | boolean | undefined | null | (string | number)[];

export function escapeShimValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

export function formatShimConf(entries: [string, ShimConfValue][]): string {
  const lines: string[] = [`version=${FORMAT.shimConf}`];
  for (const [key, value] of entries) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      lines.push(`${key}=${escapeShimValue(s)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** one `mount=` value: type, source, target, options separated by tabs (escaped by formatShimConf) */
export function mountLine(type: string, source: string, target: string, options: string[]): string {
  return [type, source, target, options.join(',')].join('\t');
}
