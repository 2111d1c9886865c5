'use client';
import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { ScrollRegion } from '../scroll-region';

/** `docker top`: the container's processes, refreshed every 2 s. */
export function Top({ id }: { id: string }) {
  const q = useQuery(useTRPC().containers.top.queryOptions({ id }, { refetchInterval: 2000 }));
  const top = q.data;
  // a failed refresh shows its error, as a successful one clears it
  const error = q.error && q.errorUpdatedAt >= q.dataUpdatedAt ? errorMessage(q.error) : '';
  if (error)
    return (
      <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">
        {error}
      </p>
    );
  if (!top) return <p className="text-sm">loading…</p>;
  return (
    <ScrollRegion className="card p-0" label="processes">
      <table className="w-full text-left text-xs" data-testid="top">
        <thead className="border-b border-zinc-200 text-zinc-500 dark:border-zinc-800">
          <tr>
            {top.titles.map((t) => (
              <th key={t} className="px-3 py-2 font-medium">
                {t}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {top.processes.map((p, i) => (
            <tr key={i} className="border-b border-zinc-100 dark:border-zinc-800">
              {p.map((c, j) => (
                <td key={j} className="whitespace-pre px-3 py-1 font-mono">
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
