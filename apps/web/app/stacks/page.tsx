'use client';
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert, ROLE_CAN_OPERATE, ROW, TABLE, THEAD, useLiveRefresh } from '../../components/resources/shared';
import { StateBadge, type StackRow } from '../../components/stacks/shared';
import { useMe } from '../../components/use-auth';
import { ago } from '../../lib/format';
import { api, errorMessage } from '../../lib/trpc';

/** Compose projects: the stored stacks with their live state, and projects started elsewhere (the CLI). */
export default function StacksPage() {
  const me = useMe();
  const canOperate = ROLE_CAN_OPERATE(me?.role);
  const [rows, setRows] = useState<StackRow[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState('');

  const refresh = useCallback(async () => {
    try {
      setRows(await api().stacks.list.query());
      setLoaded(true);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    if (me) void refresh();
  }, [me, refresh]);
  useLiveRefresh(!!me, ['container'], refresh);

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
      <ErrorAlert message={error} onClose={() => setError('')} />
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
                  <Link className="font-medium text-sky-600 hover:underline" href={`/stacks/${encodeURIComponent(s.name)}`}>
                    {s.name}
                  </Link>
                  {s.external && (
                    <span className="ml-2 rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300" title={s.workingDir ? `working directory ${s.workingDir}` : undefined}>
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
