'use client';
import type { Client } from '../../lib/trpc';

export type TemplateDetail = Awaited<ReturnType<Client['templates']['get']['query']>>;
export type Param = TemplateDetail['parameters'][number];
export type FieldValue = string | boolean;

/** the form's starting value of a parameter: its default (a password starts empty: generated or typed) */
export function initialValue(p: Param): FieldValue {
  if (p.type === 'boolean') return p.default === true || p.default === 'true';
  if (p.type === 'password' || p.default === undefined) return '';
  return String(p.default);
}

const optionsOf = (p: Param) => (p.options ?? []).map((o) => (typeof o === 'string' ? { value: o, label: o } : { value: o.value, label: o.label ?? o.value }));

/** one input of the deploy form, made from the parameter's type */
export function ParamField({ param: p, value, onChange }: { param: Param; value: FieldValue; onChange: (v: FieldValue) => void }) {
  const label = p.label ?? p.name;
  const hint = p.description ?? (p.type === 'password' && p.generate ? `Leave empty to generate ${p.generate.length} random characters (stored sealed).` : '');
  if (p.type === 'boolean')
    return (
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" aria-label={`parameter ${p.name}`} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
    );
  const fieldId = `param-${p.name}`;
  return (
    <label className="block text-xs text-zinc-500" htmlFor={fieldId}>
      {label}
      {p.required && <span aria-hidden="true"> *</span>} <span className="font-mono text-[10px] text-zinc-400">{p.name}</span>
      {p.type === 'select' ? (
        <select id={fieldId} className="input mt-1" aria-label={`parameter ${p.name}`} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {optionsOf(p).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={fieldId}
          className="input mt-1"
          aria-label={`parameter ${p.name}`}
          type={p.type === 'password' ? 'password' : p.type === 'number' || p.type === 'port' ? 'number' : 'text'}
          autoComplete={p.type === 'password' ? 'new-password' : 'off'}
          placeholder={p.type === 'password' && p.generate ? 'generated' : undefined}
          required={p.required && !(p.type === 'password' && p.generate)}
          min={p.type === 'port' ? 1 : p.min}
          max={p.type === 'port' ? 65535 : p.max}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {hint && <span className="mt-0.5 block text-[11px] text-zinc-400">{hint}</span>}
    </label>
  );
}

/** the values sent to the agent: empty fields are left out (defaults and generation apply there) */
export function valuesOf(params: Param[], form: Record<string, FieldValue>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const p of params) {
    const v = form[p.name];
    if (v === undefined || v === '') continue;
    out[p.name] = v;
  }
  return out;
}
