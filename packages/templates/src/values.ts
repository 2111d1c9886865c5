import { randomInt } from 'node:crypto';
import type { Parameter, Template } from './schema.js';
import { TemplateError } from './errors.js';

export type ParamValue = string | number | boolean;

export interface ResolvedValue {
  value: ParamValue;
  /** a password: kept sealed and passed through the stack's .env, never written into the compose file */
  secret: boolean;
  /** generated here rather than given */
  generated: boolean;
}

export type Resolved = Map<string, ResolvedValue>;

const ALPHABETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
};

/** `length` characters, each drawn uniformly from the alphabet by the CSPRNG (randomInt has no modulo bias) */
export function generatePassword(length: number, alphabet: keyof typeof ALPHABETS = 'alphanumeric'): string {
  const chars = ALPHABETS[alphabet];
  let out = '';
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

export interface ResolveOptions {
  /** secrets already stored for this stack: kept on a re-deploy unless a new value is given */
  existingSecrets?: Record<string, string>;
}

/**
 * The value of every parameter: the one given (strings from a CLI's `--set` are coerced to
 * the parameter's type), else a kept or generated secret, else the default. Every value is
 * checked against its parameter; an unknown name is refused rather than ignored.
 */
export function resolveValues(t: Template, given: Record<string, unknown>, opts: ResolveOptions = {}): Resolved {
  const byName = new Map(t.parameters.map((p) => [p.name, p]));
  for (const k of Object.keys(given)) if (!byName.has(k)) throw new TemplateError(`unknown parameter "${k}"`, t.id, `values.${k}`);
  const out: Resolved = new Map();
  for (const p of t.parameters) {
    const raw = given[p.name];
    const field = `values.${p.name}`;
    const empty = raw === undefined || raw === null || raw === '';
    if (p.type === 'password') {
      if (!empty) out.set(p.name, { value: checkText(t, p, raw, field), secret: true, generated: false });
      else if (opts.existingSecrets && Object.hasOwn(opts.existingSecrets, p.name))
        out.set(p.name, { value: opts.existingSecrets[p.name]!, secret: true, generated: false });
      else if (p.generate) out.set(p.name, { value: generatePassword(p.generate.length, p.generate.alphabet), secret: true, generated: true });
      else if (p.required) throw new TemplateError('a value is required', t.id, field);
      else out.set(p.name, { value: '', secret: true, generated: false });
      continue;
    }
    const v = empty ? p.default : raw;
    if (v === undefined || v === '') {
      if (p.required) throw new TemplateError('a value is required', t.id, field);
      out.set(p.name, { value: '', secret: false, generated: false });
      continue;
    }
    out.set(p.name, { value: coerce(t, p, v, field), secret: false, generated: false });
  }
  return out;
}

/** the parameter's own type checks, used for defaults too (a catalogue's default must be valid) */
export function coerce(t: Template, p: Parameter, v: unknown, field: string): ParamValue {
  const fail = (msg: string): never => {
    throw new TemplateError(msg, t.id, field);
  };
  switch (p.type) {
    case 'number':
    case 'port': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (!Number.isFinite(n)) return fail(`${JSON.stringify(v)} is not a number`);
      if (p.type === 'port' && (!Number.isInteger(n) || n < 1 || n > 65535)) return fail(`${n} is not a port (1-65535)`);
      if (p.min !== undefined && n < p.min) return fail(`${n} is below the minimum ${p.min}`);
      if (p.max !== undefined && n > p.max) return fail(`${n} is above the maximum ${p.max}`);
      return n;
    }
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = String(v).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return fail(`${JSON.stringify(v)} is not a boolean (true or false)`);
    }
    case 'select': {
      const s = String(v);
      const allowed = (p.options ?? []).map((o) => (typeof o === 'string' ? o : o.value));
      if (!allowed.includes(s)) return fail(`${JSON.stringify(s)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
      return s;
    }
    default:
      return checkText(t, p, v, field);
  }
}

function checkText(t: Template, p: Parameter, v: unknown, field: string): string {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new TemplateError('a text value is expected', t.id, field);
  const s = String(v);
  if (s.length > 4096) throw new TemplateError('a value is at most 4096 characters', t.id, field);
  // NUL cannot travel through an environment variable; other control characters are escaped where the value goes
  if (s.includes('\0')) throw new TemplateError('a value cannot contain a NUL character', t.id, field);
  if (p.pattern && !new RegExp(`^(?:${p.pattern})$`, 'u').test(s)) throw new TemplateError(`does not match the pattern ${p.pattern}`, t.id, field);
  return s;
}
