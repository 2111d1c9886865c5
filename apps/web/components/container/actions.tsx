'use client';
import type { ContainerInspect } from '@skiff/docker-types';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { toasted } from '../toast';
import { CommitDialog } from './commit-dialog';

/** what a toast says when an action worked: "Stopped web" */
const DONE: Record<string, string> = {
  start: 'Started',
  stop: 'Stopped',
  restart: 'Restarted',
  pause: 'Paused',
  unpause: 'Unpaused',
  kill: 'Killed',
  rename: 'Renamed',
  remove: 'Removed',
};

/**
 * Lifecycle buttons that fit the container's state, plus rename and commit; errors go to
 * the page's alert. The page shows this toolbar to operators and admins only. Each change
 * refreshes the page's container itself (a settled mutation invalidates: trpc/react.tsx).
 */
export function ContainerActions({ info, onError }: { info: ContainerInspect; onError: (m: string) => void }) {
  const router = useRouter();
  const trpc = useTRPC();
  const c = {
    start: useMutation(trpc.containers.start.mutationOptions()),
    stop: useMutation(trpc.containers.stop.mutationOptions()),
    restart: useMutation(trpc.containers.restart.mutationOptions()),
    pause: useMutation(trpc.containers.pause.mutationOptions()),
    unpause: useMutation(trpc.containers.unpause.mutationOptions()),
    kill: useMutation(trpc.containers.kill.mutationOptions()),
    rename: useMutation(trpc.containers.rename.mutationOptions()),
    // away before the refetch that finds it gone
    remove: useMutation(trpc.containers.remove.mutationOptions({ onSuccess: () => router.push('/containers') })),
  };
  const [busy, setBusy] = useState('');
  const [renaming, setRenaming] = useState(false);
  const [newName, setNewName] = useState(info.Name.slice(1));
  const [committing, setCommitting] = useState(false);
  const id = info.Id;
  const name = info.Name.slice(1);
  const { Running: running, Paused: paused } = info.State;

  const run = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(label);
    onError('');
    try {
      // a stop may take its full timeout: the toast says when it ended, wherever the user is by then
      await toasted(fn(), `${DONE[label] ?? label} ${name}`, `Could not ${label} ${name}`);
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy('');
    }
  };
  const button = (label: string, fn: () => Promise<unknown>, cls = 'btn') => (
    <button key={label} className={cls} disabled={!!busy} onClick={() => void run(label, fn)}>
      {busy === label ? `${label}…` : label}
    </button>
  );

  return (
    <div className="flex flex-wrap items-center gap-1" role="toolbar" aria-label="container actions">
      {!running && button('start', () => c.start.mutateAsync({ id }))}
      {running && !paused && button('stop', () => c.stop.mutateAsync({ id }))}
      {button('restart', () => c.restart.mutateAsync({ id }))}
      {running && !paused && button('pause', () => c.pause.mutateAsync({ id }))}
      {paused && button('unpause', () => c.unpause.mutateAsync({ id }))}
      {running && button('kill', () => c.kill.mutateAsync({ id }))}
      {renaming ? (
        <form
          className="flex gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            void run('rename', async () => {
              await c.rename.mutateAsync({ id, name: newName });
              setRenaming(false);
            });
          }}
        >
          <input className="input w-40" aria-label="new name" value={newName} onChange={(e) => setNewName(e.target.value)} autoFocus />
          <button className="btn-primary" disabled={!!busy || !newName}>
            save
          </button>
          <button type="button" className="btn" onClick={() => setRenaming(false)}>
            cancel
          </button>
        </form>
      ) : (
        <button className="btn" onClick={() => setRenaming(true)}>
          rename
        </button>
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
            await c.remove.mutateAsync({ id, force: true });
          });
        }}
      >
        remove
      </button>
    </div>
  );
}
