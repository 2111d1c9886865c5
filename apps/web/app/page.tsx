'use client';
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { useMe } from '../components/use-auth';
import { RunForm } from '../components/run-form';
import { api, errorMessage } from '../lib/trpc';

type Row = Awaited<ReturnType<ReturnType<typeof api>['containers']['list']['query']>>[number];

const STATE_COLOUR: Record<string, string> = {
  running: 'bg-emerald-500',
  paused: 'bg-amber-500',
  restarting: 'bg-amber-500',
  exited: 'bg-zinc-400',
  created: 'bg-sky-400',
};

export default function ContainersPage() {
  const me = useMe();
  const [rows, setRows] = useState<Row[]>([]);
  const [info, setInfo] = useState<{ containersRunning: number; containers: number; images: number; kernel: string } | null>(null);
  const [error, setError] = useState('');
  const [filter, setFilter] = useState('');

  const refresh = useCallback(async () => {
    try {
      setRows(await api().containers.list.query({ all: true }));
      setInfo(await api().system.info.query());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    if (!me) return;
    void refresh();
    // live: every lifecycle event refreshes the table (no manual reload)
    const sub = api().system.events.subscribe(undefined, { onData: () => void refresh() });
    return () => sub.unsubscribe();
  }, [me, refresh]);

  const act = async (fn: () => Promise<unknown>) => {
    setError('');
    try {
      await fn();
    } catch (e) {
      setError(errorMessage(e));
    }
    await refresh();
  };
  const canOperate = me?.role === 'operator' || me?.role === 'admin';
  const shown = rows.filter((r) => !filter || r.names[0]!.includes(filter) || r.image.includes(filter));

  return (
    <div className="space-y-4">
      {info && (
        <div className="grid grid-cols-3 gap-3 text-sm">
          <div className="card">Running <b data-testid="running-count">{info.containersRunning}</b> / {info.containers}</div>
          <div className="card">Images <b>{info.images}</b></div>
          <div className="card">Kernel {info.kernel}</div>
        </div>
      )}
      {canOperate && <RunForm onDone={refresh} onError={setError} />}
      {error && <p role="alert" className="rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">{error}</p>}
      <div className="card overflow-x-auto">
        <div className="mb-2 flex items-center gap-2">
          <h2 className="font-semibold">Containers</h2>
          <input className="input max-w-xs" placeholder="filter" aria-label="filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
        <table className="w-full text-left text-sm">
          <thead className="text-zinc-500">
            <tr>
              <th>Name</th>
              <th>Image</th>
              <th>State</th>
              <th>Ports</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.id} className="border-t border-zinc-100 dark:border-zinc-800" data-testid={`row-${c.names[0]!.slice(1)}`}>
                <td className="py-2">
                  <Link className="text-sky-600 hover:underline" href={`/containers/${c.id}`}>
                    {c.names[0]!.slice(1)}
                  </Link>
                </td>
                <td className="font-mono text-xs">{c.image}</td>
                <td>
                  <span className={`mr-2 inline-block h-2 w-2 rounded-full ${STATE_COLOUR[c.state] ?? 'bg-zinc-400'}`} />
                  {c.status}
                </td>
                <td className="text-xs">
                  {c.ports.filter((p) => p.publicPort).map((p) => (
                    <a key={`${p.publicPort}`} className="mr-2 text-sky-600 hover:underline" href={`http://${location.hostname}:${p.publicPort}/`} target="_blank" rel="noreferrer">
                      {p.publicPort}→{p.privatePort}
                    </a>
                  ))}
                </td>
                <td className="space-x-1 text-right">
                  {canOperate && c.state !== 'running' && <button className="btn" onClick={() => act(() => api().containers.start.mutate({ id: c.id }))}>start</button>}
                  {canOperate && c.state === 'running' && <button className="btn" onClick={() => act(() => api().containers.stop.mutate({ id: c.id, timeout: 3 }))}>stop</button>}
                  {canOperate && <button className="btn-danger" onClick={() => act(() => api().containers.remove.mutate({ id: c.id, force: true }))}>remove</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!shown.length && <p className="py-6 text-center text-sm text-zinc-500">No containers yet.</p>}
      </div>
    </div>
  );
}
