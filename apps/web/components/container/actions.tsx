'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, errorMessage } from '../../lib/trpc';
import { CommitDialog } from './commit-dialog';
import type { ContainerInspect } from './inspect-types';

/**
 * Lifecycle buttons that fit the container's state, plus rename and commit; errors go to
 * the page's alert. The page shows this toolbar to operators and admins only.
 */
export function ContainerActions({ info, onChanged, onError }: { info: ContainerInspect; onChanged: () => void; onError: (m: string) => void }) {
  const router = useRouter();
  const [busy, setBusy] = useState('');
  const [renaming, setRenaming] = useState(false);
  const [newName, setNewName] = useState(info.Name.slice(1));
  const [committing, setCommitting] = useState(false);
  const c = api().containers;
  const id = info.Id;
  const { Running: running, Paused: paused } = info.State;

  const run = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(label);
    onError('');
    try {
      await fn();
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy('');
      onChanged();
    }
  };
  const button = (label: string, fn: () => Promise<unknown>, cls = 'btn') => (
    <button key={label} className={cls} disabled={!!busy} onClick={() => void run(label, fn)}>
      {busy === label ? `${label}…` : label}
    </button>
  );

  return (
    <div className="flex flex-wrap items-center gap-1" role="toolbar" aria-label="container actions">
      {!running && button('start', () => c.start.mutate({ id }))}
      {running && !paused && button('stop', () => c.stop.mutate({ id }))}
      {button('restart', () => c.restart.mutate({ id }))}
      {running && !paused && button('pause', () => c.pause.mutate({ id }))}
      {paused && button('unpause', () => c.unpause.mutate({ id }))}
      {running && button('kill', () => c.kill.mutate({ id }))}
      {renaming ? (
        <form
          className="flex gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            void run('rename', async () => {
              await c.rename.mutate({ id, name: newName });
              setRenaming(false);
            });
          }}
        >
          <input className="input w-40" aria-label="new name" value={newName} onChange={(e) => setNewName(e.target.value)} autoFocus />
          <button className="btn-primary" disabled={!!busy || !newName}>save</button>
          <button type="button" className="btn" onClick={() => setRenaming(false)}>cancel</button>
        </form>
      ) : (
        <button className="btn" onClick={() => setRenaming(true)}>rename</button>
      )}
      <button className="btn" aria-haspopup="dialog" onClick={() => setCommitting(true)}>
        commit
      </button>
      {committing && <CommitDialog containerId={id} containerName={info.Name.slice(1)} onClose={() => setCommitting(false)} />}
      <button
        className="btn-danger"
        disabled={!!busy}
        onClick={() => {
          if (!window.confirm(`Remove ${info.Name.slice(1)}?${running ? ' It is running and will be killed.' : ''}`)) return;
          void run('remove', async () => {
            await c.remove.mutate({ id, force: true });
            router.push('/containers');
          });
        }}
      >
        remove
      </button>
    </div>
  );
}
