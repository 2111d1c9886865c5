'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ErrorAlert, ROW, TABLE, THEAD } from '../../components/resources/shared';
import { StateBadge } from '../../components/stacks/shared';
import { useMe } from '../../components/use-auth';
import { ago } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useTitle } from '../../components/use-title';

/** Compose projects: the stored stacks with their live state, and projects started elsewhere (the CLI). */
export default function StacksPage() {
  useTitle('Stacks');
  const me = useMe();
  const canOperate = !!me?.can.operate;
  // live states: container events refetch the list (trpc/live-events.tsx)
  const list = useQuery(useTRPC().stacks.list.queryOptions(undefined, { enabled: !!me }));
  const rows = list.data ?? [];
  const loaded = list.isSuccess;
  const error = list.error ? errorMessage(list.error) : '';

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Stacks</h1>
        <span className="text-sm text-zinc-500">compose projects</span>
        <span className="flex-1" />
        {canOperate && (
          <Link className="btn-primary" href="/stacks/new">
            New stack
          </Link>
        )}
      </div>
      <ErrorAlert message={error} />
      <div className="card overflow-x-auto p-0">
        <table className={TABLE}>
          <thead className={THEAD}>
            <tr>
              <th className="p-2">Name</th>
              <th className="p-2">State</th>
              <th className="p-2">Containers</th>
              <th className="p-2">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.name} className={ROW} data-testid={`stack-${s.name}`}>
                <td className="p-2">
                  <Link className="font-medium text-sky-700 dark:text-sky-400 hover:underline" href={`/stacks/${encodeURIComponent(s.name)}`}>
                    {s.name}
                  </Link>
                  {s.external && (
                    <span
                      className="ml-2 rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
                      title={s.workingDir ? `working directory ${s.workingDir}` : undefined}
                    >
                      external/CLI
                    </span>
                  )}
                </td>
                <td className="p-2">
                  <StateBadge state={s.state} />
                </td>
                <td className="p-2 text-zinc-600 dark:text-zinc-400">{s.status || '—'}</td>
                <td className="p-2 text-zinc-500">{s.updatedAt ? `${ago(new Date(s.updatedAt).getTime())}${s.updatedBy ? ` by ${s.updatedBy}` : ''}` : '—'}</td>
              </tr>
            ))}
            {loaded && rows.length === 0 && (
              <tr>
                <td colSpan={4} className="p-4 text-center text-zinc-500">
                  No stacks yet.{canOperate && ' Create one with “New stack”.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
