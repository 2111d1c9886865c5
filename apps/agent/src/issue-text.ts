/** a schema issue as zod (v4) reports it: what the sentence is made of */
export interface SchemaIssue {
  code?: string;
  path: (string | number)[];
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  expected?: string;
  keys?: string[];
}

/** field names people read instead of the schema's keys */
const FIELD_NAMES: Record<string, string> = { username: 'User name', password: 'Password', cmd: 'Command', workingDir: 'Working directory' };

/** the field an issue is about, as a person names it: the last key of its path */
export function fieldName(path: (string | number)[]): string {
  const key = [...path].reverse().find((k) => typeof k === 'string');
  if (key === undefined) return path.length ? `Item ${path.at(-1)}` : 'The input';
  const words = FIELD_NAMES[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const plural = (n: number | bigint, one: string) => `${n} ${one}${Number(n) === 1 ? '' : 's'}`;
const unit = (origin: string | undefined, n: number | bigint) =>
  origin === 'string' ? plural(n, 'character') : origin === 'array' || origin === 'set' ? plural(n, 'item') : String(n);
/** zod's own default wording starts like this; a message the schema wrote itself is kept */
const isDefault = (m: string) => /^(Too (small|big)|Invalid|Expected|Required|Unrecognized)/i.test(m);

/**
 * One sentence for a refused field ("Password must be at least 8 characters."): what the
 * dashboard shows and the audit log keeps instead of zod's JSON dump of the issues.
 */
export function issueSentence(i: SchemaIssue): string {
  const field = fieldName(i.path);
  const custom = !isDefault(i.message);
  switch (i.code) {
    case 'too_small':
      if (i.origin === 'string' && Number(i.minimum) === 1) return `${field} is required.`;
      return `${field} must be at least ${unit(i.origin, i.minimum ?? 0)}.`;
    case 'too_big':
      return `${field} must be at most ${unit(i.origin, i.maximum ?? 0)}.`;
    case 'invalid_type':
      return i.message.includes('received undefined') ? `${field} is required.` : `${field} must be ${i.expected === 'array' ? 'a list' : `a ${i.expected}`}.`;
    case 'unrecognized_keys':
      return `Unknown field${(i.keys?.length ?? 0) > 1 ? 's' : ''}: ${(i.keys ?? []).join(', ')}.`;
    default:
      return custom ? `${field}: ${i.message.replace(/\.$/, '')}.` : `${field} is not valid.`;
  }
}
