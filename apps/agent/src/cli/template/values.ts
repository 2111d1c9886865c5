// How Go's text/template sees the values the CLI hands it: structs, maps, printing, truth.

/** a method of a struct, called with the template's arguments (`.Label "k"`) */
export type Method = (...args: unknown[]) => unknown;

/**
 * A Go struct (docker's formatter contexts, `formatter.ContainerContext`): unknown fields
 * are errors, unlike a plain object, which is a map (a missing key is `<no value>`).
 */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
    /** the struct's own JSON when its tags differ from its field names (events.Message's `status`, `timeNano`) */
    private readonly wire?: Record<string, unknown>,
  ) {}

  /** as docker's contexts marshal: every field but the methods taking arguments, keys sorted */
  toJSON(): Record<string, unknown> {
    if (this.wire) return this.wire;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(this.fields).sort()) {
      const v = this.fields[k];
      if (typeof v !== 'function') out[k] = v;
    }
    return out;
  }
}

/** Go's type name of a value, for error messages */
export function goType(v: unknown): string {
  if (v instanceof GoStruct) return v.typeName;
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
    default:
      return 'map[string]interface {}';
  }
}

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoStruct);

/** Go's truth for if/with/and/or/not: empty values are false, structs always true */
export function truth(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoStruct) return true;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  return Boolean(v);
}

function fmtNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go's %v of a float64 is %g with the shortest representation: 1e+21, 1.5
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt's %v, as the template prints a value; `top` marks a value printed by an action */
export function formatValue(v: unknown, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, false)).join(' ')}]`;
  if (v instanceof GoStruct)
    return `{${Object.values(v.fields)
      .filter((f) => typeof f !== 'function')
      .map((f) => formatValue(f, false))
      .join(' ')}}`;
  const m = v as Record<string, unknown>;
  return `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${formatValue(m[k], false)}`)
    .join(' ')}]`;
}
