'use client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { AdminsOnly, ErrorAlert, TableCard, When } from '../../components/admin/common';
import { useDebounced } from '../../components/use-debounced';
import { useMe } from '../../components/use-auth';
import { errorMessage } from '../../lib/errors';
import { useTRPC, useTRPCClient } from '../../trpc/react';
import { useTitle } from '../../components/use-title';
import { useUrlState } from '../../components/use-url-state';

const PAGE = 50;

export default function AuditPage() {
  useTitle('Audit log');
  const me = useMe();
  if (!me) return null;
  if (!me.can.admin) return <AdminsOnly what="the audit log is for admins" />;
  return <AuditLog />;
}

/** The audit log, newest first, filtered by user and action, a page at a time. */
function AuditLog() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  // the filters are in the URL: a refresh or the back button keeps them
  const [user, setUser] = useUrlState('user', '');
  const [action, setAction] = useUrlState('action', '');
  // filters apply as you type, a moment after the last key
  const filters = useDebounced({ actorContains: user.trim() || undefined, actionContains: action.trim() || undefined }, 250);
  // pages by `before` (the last id shown), under the audit path so every mutation of this tab and
  // every runtime event (a change from the CLI or another tab) marks it stale: no Refresh button
  const pages = useInfiniteQuery({
    queryKey: [trpc.audit.list.pathKey()[0], { input: filters, type: 'infinite' }] as const,
    queryFn: ({ pageParam }) => client.audit.list.query({ limit: PAGE, ...filters, before: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.length === PAGE ? last.at(-1)?.id : undefined),
  });
  const entries = pages.data?.pages.flat() ?? [];
  const loaded = pages.isSuccess;
  const more = pages.hasNextPage;
  const busy = pages.isFetching;
  const error = pages.error ? errorMessage(pages.error) : '';

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Audit log</h1>
        <input
          className="input max-w-[14rem]"
          type="search"
          placeholder="user"
          aria-label="filter user"
          value={user}
          onChange={(e) => setUser(e.target.value)}
        />
        <input
          className="input max-w-[14rem]"
          type="search"
          placeholder="action, e.g. users. or containers.run"
          aria-label="filter action"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
      </div>
      <ErrorAlert error={error} />
      <TableCard label="audit log">
        <thead className="text-zinc-500">
          <tr className="[&>th]:px-3 [&>th]:py-2">
            <th>Time</th>
            <th>User</th>
            <th>Action</th>
            <th>Target</th>
            <th>Result</th>
            <th>Address</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="audit-row" className="border-t border-zinc-100 align-top dark:border-zinc-800 [&>td]:px-3 [&>td]:py-2">
              <td className="whitespace-nowrap">
                <When t={e.createdAt} />
              </td>
              <td>{e.actor}</td>
              <td className="font-mono text-xs">{e.action}</td>
              <td className="max-w-[16rem] truncate font-mono text-xs" title={e.target ?? undefined}>
                {e.target ?? <span className="text-zinc-500">—</span>}
              </td>
              <td>
                {e.result === 'ok' ? (
                  <span className="rounded bg-emerald-100 px-1.5 text-xs text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">ok</span>
                ) : (
                  <span className="text-xs">
                    <span className="rounded bg-rose-100 px-1.5 text-rose-800 dark:bg-rose-950 dark:text-rose-300">{e.result}</span>
                    {e.detail && <span className="ml-2 break-words text-zinc-500">{e.detail}</span>}
                  </span>
                )}
              </td>
              <td className="font-mono text-xs text-zinc-500">{e.ip ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </TableCard>
      {loaded && !entries.length && <p className="text-sm text-zinc-500">{user || action ? 'No entry matches.' : 'Nothing recorded yet.'}</p>}
      {more && (
        <button className="btn" disabled={busy} onClick={() => void pages.fetchNextPage()}>
          Load more
        </button>
      )}
    </div>
  );
}
