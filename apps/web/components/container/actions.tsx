'use client';
import type { ContainerInspect } from '@skiff/docker-types';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useConfirm } from '../confirm-dialog';
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
 * Lifecycle buttons (those that do not fit the state disabled, in fixed places), rename and
 * commit; kill and remove ask first; errors go to
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
  const confirm = useConfirm();
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
  // every button keeps its place whatever the state (disabled, never hidden) and its label
  // while it runs, so a second click never lands on a neighbour that moved under the pointer
  const button = (label: string, enabled: boolean, fn: () => Promise<unknown>, cls = 'btn') => (
    <button key={label} className={cls} disabled={!!busy || !enabled} aria-busy={busy === label} onClick={() => void run(label, fn)}>
      {label}
    </button>
  );
  const removeContainer = () =>
    confirm.ask({
      title: `Remove container ${name}?`,
      body: `${running ? 'It is running and will be killed. ' : ''}Its writable layer and logs are deleted; named volumes stay.`,
      confirm: `Remove container ${name}`,
      run: () => run('remove', () => c.remove.mutateAsync({ id, force: true })),
    });
  const killContainer = () =>
    confirm.ask({
      title: `Kill container ${name}?`,
      body: 'Its processes get SIGKILL at once, with no chance to save their work.',
      confirm: `Kill container ${name}`,
      run: () => run('kill', () => c.kill.mutateAsync({ id })),
    });

  return (
    <div className="flex flex-wrap items-center gap-1" role="toolbar" aria-label="container actions" aria-busy={!!busy}>
      {button('start', !running, () => c.start.mutateAsync({ id }))}
      {button('stop', running && !paused, () => c.stop.mutateAsync({ id }))}
      {button('restart', true, () => c.restart.mutateAsync({ id }))}
      {paused
        ? button('unpause', true, () => c.unpause.mutateAsync({ id }), 'btn min-w-[5.5rem]')
        : button('pause', running, () => c.pause.mutateAsync({ id }), 'btn min-w-[5.5rem]')}
      <button className="btn-danger" disabled={!!busy || !running} aria-busy={busy === 'kill'} onClick={() => void killContainer()}>
        kill
      </button>
      <button className="btn-danger" disabled={!!busy} aria-busy={busy === 'remove'} onClick={() => void removeContainer()}>
        remove
      </button>
      <button className="btn" aria-haspopup="dialog" onClick={() => setCommitting(true)}>
        commit
      </button>
      {committing && <CommitDialog containerId={id} containerName={name} onClose={() => setCommitting(false)} />}
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
      {confirm.dialog}
    </div>
  );
}
