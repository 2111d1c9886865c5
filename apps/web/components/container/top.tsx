'use client';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../../lib/trpc';

/** `docker top`: the container's processes, refreshed every 2 s. */
export function Top({ id }: { id: string }) {
  const [top, setTop] = useState<{ titles: string[]; processes: string[][] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stop = false;
    const load = () =>
      api().containers.top.query({ id }).then(
        (t) => !stop && (setTop(t), setError('')),
        (e) => !stop && setError(errorMessage(e)),
      );
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [id]);
  if (error) return <p role="alert" className="text-sm text-rose-600">{error}</p>;
  if (!top) return <p className="text-sm">loading…</p>;
  return (
    <div className="card overflow-x-auto p-0">
      <table className="w-full text-left text-xs" data-testid="top">
        <thead className="border-b border-zinc-200 text-zinc-500 dark:border-zinc-800">
          <tr>{top.titles.map((t) => <th key={t} className="px-3 py-2 font-medium">{t}</th>)}</tr>
        </thead>
        <tbody>
          {top.processes.map((p, i) => (
            <tr key={i} className="border-b border-zinc-100 dark:border-zinc-800">
              {p.map((c, j) => <td key={j} className="whitespace-pre px-3 py-1 font-mono">{c}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
