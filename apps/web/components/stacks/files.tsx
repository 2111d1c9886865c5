'use client';
import { useRef, type Dispatch } from 'react';
import type { EditorAction, EditorState } from './editor-state';
import type { Validation } from './shared';

/** The name (of a new stack), compose.yaml and .env, each with the validation's error line marked. */
export function StackFiles(props: {
  state: EditorState;
  dispatch: Dispatch<EditorAction>;
  creating: boolean;
  readOnly: boolean;
  nameError: string;
  dirty: boolean;
  validation: Validation | null;
}) {
  const { state, dispatch, creating, readOnly, nameError, validation } = props;
  const errorLine = (file: string) => (validation && !validation.ok && validation.error.file === file ? validation.error.line : undefined);
  return (
    <>
      {creating && (
        <label className="block max-w-sm">
          <span className="label">Name</span>
          <input
            className="input font-mono"
            aria-label="stack name"
            placeholder="my-app"
            value={state.name}
            onChange={(e) => dispatch({ type: 'rename', name: e.target.value.trim() })}
            readOnly={readOnly}
          />
          {nameError && (
            <span className="text-xs text-rose-700 dark:text-rose-400" role="alert">
              {nameError}
            </span>
          )}
        </label>
      )}
      <div className="grid gap-3 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <div className="space-y-1">
          <span className="label">compose.yaml</span>
          <CodeArea
            label="compose file"
            value={state.files.composeFile}
            onChange={(text) => dispatch({ type: 'edit', file: 'composeFile', text })}
            readOnly={readOnly}
            errorLine={errorLine('compose.yaml')}
            rows={22}
          />
        </div>
        <div className="space-y-1">
          <span className="label">.env</span>
          <CodeArea
            label="env file"
            value={state.files.envFile}
            onChange={(text) => dispatch({ type: 'edit', file: 'envFile', text })}
            readOnly={readOnly}
            errorLine={errorLine('.env')}
            rows={10}
            placeholder="KEY=value"
          />
          <ValidationResult validation={validation} />
          {props.dirty && !creating && <p className="text-xs text-amber-700 dark:text-amber-400">unsaved changes</p>}
        </div>
      </div>
    </>
  );
}

function ValidationResult({ validation }: { validation: Validation | null }) {
  if (!validation)
    return (
      <p className="text-xs text-zinc-500" data-testid="validation">
        checking…
      </p>
    );
  if (validation.ok) {
    const n = Object.keys(validation.project.services).length;
    return (
      <div className="space-y-1 text-xs" data-testid="validation">
        <p className="text-emerald-700 dark:text-emerald-400">
          ✓ valid · {n} service{n === 1 ? '' : 's'}
        </p>
        {(validation.project.warnings ?? []).map((w) => (
          <p key={w} className="text-amber-700 dark:text-amber-400">
            {w}
          </p>
        ))}
      </div>
    );
  }
  const e = validation.error;
  return (
    <div role="alert" className="rounded bg-rose-100 p-2 text-xs text-rose-700 dark:bg-rose-950 dark:text-rose-300" data-testid="validation">
      {e.line !== undefined && (
        <p className="font-semibold" data-testid="validation-location">
          {e.file ?? 'compose.yaml'} line {e.line}, column {e.col}
        </p>
      )}
      <p className="break-words font-mono">{e.message}</p>
    </div>
  );
}

/** a monospace textarea with a line-number gutter that marks the error's line, scrolled together */
function CodeArea(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  readOnly: boolean;
  errorLine?: number;
  rows: number;
  placeholder?: string;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = Math.max(props.value.split('\n').length, props.rows);
  return (
    <div className="flex overflow-hidden rounded border border-zinc-300 bg-white font-mono text-xs leading-5 dark:border-zinc-700 dark:bg-zinc-900">
      <div
        ref={gutter}
        aria-hidden
        className="select-none overflow-hidden border-r border-zinc-200 bg-zinc-50 py-2 text-right text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950"
        style={{ height: `${props.rows * 1.25 + 1}rem` }}
      >
        {Array.from({ length: lines }, (_, i) => (
          <div
            key={i}
            className={`px-2 ${props.errorLine === i + 1 ? 'bg-rose-200 font-bold text-rose-700 dark:bg-rose-900 dark:text-rose-200' : ''}`}
            data-testid={props.errorLine === i + 1 ? 'error-line' : undefined}
          >
            {i + 1}
          </div>
        ))}
      </div>
      <textarea
        aria-label={props.label}
        className="flex-1 resize-none whitespace-pre bg-transparent px-2 py-2 outline-none"
        style={{ height: `${props.rows * 1.25 + 1}rem` }}
        spellCheck={false}
        wrap="off"
        value={props.value}
        placeholder={props.placeholder}
        readOnly={props.readOnly}
        aria-invalid={props.errorLine !== undefined}
        onChange={(e) => props.onChange(e.target.value)}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </div>
  );
}
