/**
 * One flag in node's util.parseArgs terms (the key is its long name), plus the other long
 * names docker takes for it (`--net` for `--network`).
 */
export interface FlagDef {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly aliases?: readonly string[];
  /** the flag's line in `--help` (help-text.ts has the common ones by name) */
  readonly help?: string;
  /** the value's name in `--help`: "list", "int"… (default "string") */
  readonly value?: string;
}
export type FlagDefs = Readonly<Record<string, FlagDef>>;
