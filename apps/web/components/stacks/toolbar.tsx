'use client';
import { useState } from 'react';
import type { Line, Phase } from './editor-state';

type Lifecycle = 'start' | 'stop' | 'restart' | 'down';

/** Save, and for a stored stack Deploy, the lifecycle buttons and Remove ("with volumes" applies to Down and Remove). */
export function StackToolbar(props: {
  creating: boolean;
  busy: boolean;
  canSave: boolean;
  valid: boolean;
  dirty: boolean;
  deployed: boolean;
  onSave: () => void;
  onDeploy: () => void;
  onLifecycle: (what: Lifecycle, withVolumes: boolean) => void;
  onRemove: (withVolumes: boolean) => void;
}) {
  const [withVolumes, setWithVolumes] = useState(false);
  const { busy } = props;
  const lifecycle = (what: Lifecycle, label: string) => (
    <button className="btn" disabled={busy || !props.deployed} onClick={() => props.onLifecycle(what, withVolumes)}>
      {label}
    </button>
  );
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="stack actions">
      <button className="btn" disabled={busy || !props.canSave} onClick={props.onSave}>
        Save
      </button>
      {!props.creating && (
        <>
          <button className="btn-primary" disabled={busy || !props.valid} onClick={props.onDeploy}>
            {props.dirty ? 'Save & deploy' : 'Deploy'}
          </button>
          {lifecycle('stop', 'Stop')}
          {lifecycle('start', 'Start')}
          {lifecycle('restart', 'Restart')}
          {lifecycle('down', 'Down')}
          <label className="flex items-center gap-1 text-xs">
            <input type="checkbox" checked={withVolumes} onChange={(e) => setWithVolumes(e.target.checked)} /> with volumes
          </label>
          <button className="btn-danger" disabled={busy} onClick={() => props.onRemove(withVolumes)}>
            Remove
          </button>
        </>
      )}
    </div>
  );
}

/** the last deploy's (or lifecycle action's) progress, one line per object */
export function DeployProgress({ phase, lines }: { phase: Phase; lines: Line[] }) {
  if (!phase) return null;
  return (
    <div className="card space-y-1" data-testid="deploy-progress">
      <p className="text-sm font-medium" aria-live="polite" data-testid="deploy-status">
        {phase === 'running' ? 'Deploying…' : phase === 'done' ? 'Done' : 'Failed'}
      </p>
      <ul className="font-mono text-xs">
        {lines.map((l) => (
          <li key={`${l.kind} ${l.name}`} className="grid grid-cols-[6rem_minmax(0,1fr)_10rem] gap-2">
            <span className="text-zinc-500">{l.kind}</span>
            <span className="truncate" title={l.detail}>
              {l.name}
            </span>
            <span
              className={
                /Started|Running|Created|Healthy|Removed|Stopped|Pulled/.test(l.status)
                  ? 'text-emerald-700 dark:text-emerald-400'
                  : /Error|fail/i.test(l.status)
                    ? 'text-rose-700 dark:text-rose-400'
                    : ''
              }
            >
              {l.status}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
