'use client';
import type { ContainerSummary } from '@skiff/runtime/types';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors';
import type { ConfirmRequest } from '../confirm-dialog';
import type { Client } from '../../lib/trpc';
import { pathsForMutation } from '../../trpc/invalidation';
import { useInvalidate, useTRPCClient } from '../../trpc/react';
import { nameOf } from './list-model';

type Bulk = 'start' | 'stop' | 'restart' | 'kill' | 'remove';

/**
 * One bulk action on one container, through the same API calls as the single-row buttons;
 * straight through the client, so that 1000 of them refresh the list once, at the end.
 */
function bulkCall(client: Client, action: Bulk, id: string): Promise<unknown> {
  const c = client.containers;
  switch (action) {
    case 'start':
      return c.start.mutate({ id });
    case 'stop':
      return c.stop.mutate({ id, timeout: 3 });
    case 'restart':
      return c.restart.mutate({ id, timeout: 3 });
    case 'kill':
      return c.kill.mutate({ id });
    case 'remove':
      return c.remove.mutate({ id, force: true });
  }
}

/**
 * The selection's toolbar: start/stop/restart/kill/remove them all, with progress and the
 * failures named; kill and remove ask first (through the page's dialog), naming the containers.
 */
export function BulkToolbar({
  selected,
  rows,
  onClear,
  onError,
  confirm,
}: {
  selected: ReadonlySet<string>;
  rows: readonly ContainerSummary[];
  onClear: () => void;
  onError: (message: string) => void;
  confirm: (request: ConfirmRequest) => Promise<boolean>;
}) {
  const client = useTRPCClient();
  const invalidate = useInvalidate();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const nameOfId = (id: string) => {
    const row = rows.find((r) => r.id === id);
    return row ? nameOf(row) : id.slice(0, 12);
  };

  const bulk = async (what: Bulk) => {
    const ids = [...selected];
    if (what !== 'remove' && what !== 'kill') return bulkRun(what, ids);
    const names = ids.map(nameOfId);
    const object = names.length === 1 ? `container ${names[0]}` : `${names.length} containers`;
    const verb = what === 'remove' ? 'Remove' : 'Kill';
    await confirm({
      title: `${verb} ${object}?`,
      body: `${names.length > 1 ? `${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}. ` : ''}${
        what === 'remove' ? 'Running ones are killed; their writable layers and logs are deleted.' : 'Their processes get SIGKILL at once.'
      }`,
      confirm: `${verb} ${object}`,
      run: () => bulkRun(what, ids),
    });
  };

  const bulkRun = async (what: Bulk, ids: string[]) => {
    setBusy(true);
    onError('');
    setNotice(`${what}: 0 / ${ids.length}`);
    const failures: string[] = [];
    let done = 0;
    // a few at a time: fast, without flooding the agent with 1000 parallel stops
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const name = nameOfId(id);
          await bulkCall(client, what, id).catch((e) => failures.push(`${name}: ${errorMessage(e)}`));
          setNotice(`${what}: ${++done} / ${ids.length}`);
        }
      }),
    );
    setBusy(false);
    setNotice(failures.length ? '' : `${what}: ${ids.length} done`);
    if (failures.length) onError(`${failures.length} failed — ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`);
    if (what === 'remove') onClear();
    await invalidate(pathsForMutation(`containers.${what}`));
  };

  return (
    <div className="card flex flex-wrap items-center gap-2 py-2 text-sm" role="toolbar" aria-label="bulk actions">
      <span data-testid="selected-count">{selected.size} selected</span>
      {(['start', 'stop', 'restart', 'kill'] as const).map((a) => (
        <button key={a} className="btn" disabled={busy} onClick={() => void bulk(a)}>
          {a}
        </button>
      ))}
      <button className="btn-danger" disabled={busy} onClick={() => void bulk('remove')}>
        remove
      </button>
      <button className="btn" disabled={busy} onClick={onClear}>
        clear
      </button>
      {notice && (
        <span className="text-zinc-500" data-testid="bulk-progress">
          {notice}
        </span>
      )}
    </div>
  );
}
