'use client';
import { useState } from 'react';
import { parseDotEnv } from '../../lib/run-spec';
import { FieldError, invalidProps } from './field-error';

type Row = { key: string; value: string };
const BAD_KEY = /[=\s]/;

/**
 * The environment rows: key and value side by side in a grid (the value takes the room
 * left; a flex row let `.input`'s width squeeze it to 18 px), plus pasting a .env file.
 */
export function EnvFields({ env, onChange, error, errorId }: { env: Row[]; onChange: (rows: Row[]) => void; error?: string; errorId: string }) {
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState('');
  const rows = env.length ? env : [{ key: '', value: '' }];
  const setRow = (i: number, part: keyof Row, v: string) => onChange(rows.map((e, j) => (j === i ? { ...e, [part]: v } : e)));
  return (
    <fieldset className="space-y-1">
      <legend className="label">Environment</legend>
      {rows.map((e, i) => (
        <div key={i} className="grid grid-cols-[minmax(0,1fr)_minmax(0,2fr)_auto] gap-2" data-testid="env-row">
          <input
            className="input font-mono"
            placeholder="KEY"
            aria-label={`env key ${i + 1}`}
            value={e.key}
            onChange={(ev) => setRow(i, 'key', ev.target.value)}
            {...invalidProps(errorId, error && BAD_KEY.test(e.key.trim()) ? error : undefined)}
          />
          <input
            className="input font-mono"
            placeholder="value"
            aria-label={`env value ${i + 1}`}
            value={e.value}
            onChange={(ev) => setRow(i, 'value', ev.target.value)}
          />
          <button type="button" className="btn" aria-label={`remove env ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <FieldError id={errorId} message={error} />
      <div className="flex gap-2">
        <button type="button" className="btn" onClick={() => onChange([...rows, { key: '', value: '' }])}>
          add variable
        </button>
        <button type="button" className="btn" aria-expanded={pasting} onClick={() => setPasting((p) => !p)}>
          paste .env
        </button>
      </div>
      {pasting && (
        <div className="flex gap-2">
          <textarea
            className="input flex-1 font-mono"
            rows={3}
            aria-label="paste env"
            placeholder={'# .env\nDB_HOST=db'}
            value={pasted}
            onChange={(e) => setPasted(e.target.value)}
          />
          <button
            type="button"
            className="btn"
            onClick={() => {
              const merged = new Map(rows.filter((e) => e.key).map((e) => [e.key, e.value]));
              for (const r of parseDotEnv(pasted)) merged.set(r.key, r.value);
              onChange([...merged].map(([key, value]) => ({ key, value })));
              setPasted('');
              setPasting(false);
            }}
          >
            add
          </button>
        </div>
      )}
    </fieldset>
  );
}
