'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useMemo, useState } from 'react';
import { containerNames, ErrorAlert, Labels, Notice, parseLabels, ROW, TABLE, THEAD, type VolumeRow } from '../../components/resources/shared';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { ago, bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { useConfirm } from '../../components/confirm-dialog';
import { useTitle } from '../../components/use-title';
import { useUrlState } from '../../components/use-url-state';

export default function VolumesPage() {
  useTitle('Volumes');
  const me = useMe();
  const trpc = useTRPC();
  const canOperate = !!me?.can.operate;
  // kept current by the event stream (trpc/live-events.tsx)
  const volumesQ = useQuery(trpc.volumes.list.queryOptions(undefined, { enabled: !!me }));
  const containersQ = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: !!me }));
  const volumes = useMemo(() => volumesQ.data ?? [], [volumesQ.data]);
  const loaded = volumesQ.isSuccess && containersQ.isSuccess;
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('');
  const [search, setSearch] = useUrlState('q', ''); // in the URL: a refresh or back keeps the filter
  const [pruneAll, setPruneAll] = useState(true);
  const [expanded, setExpanded] = useState<string | null>(null);
  const action = useAction();
  const confirm = useConfirm();
  const { notice, busy } = action;
  const failed = volumesQ.error ?? containersQ.error;
  const error = action.error || (failed ? errorMessage(failed) : '');
  const createVolume = useMutation(trpc.volumes.create.mutationOptions());
  const pruneVolumes = useMutation(trpc.volumes.prune.mutationOptions());
  const removeVolume = useMutation(trpc.volumes.remove.mutationOptions());

  const names = useMemo(() => containerNames(containersQ.data ?? []), [containersQ.data]);
  // sizes come from `system df` (it walks each volume): a query of its own, so the list does not wait for it
  const dfQ = useQuery(trpc.system.df.queryOptions(undefined, { enabled: !!me }));
  const sizes = useMemo(() => new Map(dfQ.data?.volumes.items.map((v) => [v.name, v.size])), [dfQ.data]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q
      ? volumes.filter((v) => v.name.toLowerCase().includes(q) || Object.entries(v.labels).some(([k, val]) => `${k}=${val}`.toLowerCase().includes(q)))
      : volumes;
  }, [volumes, search]);

  const create = () =>
    action.run(
      async () => {
        const v = await createVolume.mutateAsync({ name: name.trim() || undefined, labels: parseLabels(labels) });
        setName('');
        setLabels('');
        return v;
      },
      (v) => `Created volume ${v.name.length > 30 ? `${v.name.slice(0, 12)}…` : v.name}`,
    );

  const prune = () =>
    void confirm.ask({
      title: pruneAll ? 'Remove every volume no container uses?' : 'Remove unused anonymous volumes?',
      body: `${pruneAll ? 'Named volumes too. ' : ''}Their data is lost.`,
      confirm: pruneAll ? 'Remove unused volumes' : 'Remove unused anonymous volumes',
      run: () =>
        action.run(
          () => pruneVolumes.mutateAsync({ all: pruneAll }),
          (r) => `Pruned ${r.deleted.length} volume(s), reclaimed ${bytes(r.spaceReclaimed)}`,
        ),
    });

  const remove = (v: VolumeRow) => {
    const short = v.name.length > 30 ? `${v.name.slice(0, 12)}…` : v.name;
    void confirm.ask({
      title: `Remove volume ${short}?`,
      body: 'Its data is lost.',
      confirm: `Remove volume ${short}`,
      run: () => action.run(() => removeVolume.mutateAsync({ name: v.name }), `Removed volume ${short}`),
    });
  };

  return (
    <div className="space-y-3">
      {confirm.dialog}
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Volumes</h1>
        <input
          className="input max-w-xs"
          type="search"
          placeholder="search name or label"
          aria-label="search volumes"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="flex-1" />
        {canOperate && (
          <div className="flex items-center gap-2" role="group" aria-label="prune volumes">
            <select
              className="input w-auto"
              aria-label="prune mode"
              value={pruneAll ? 'all' : 'anonymous'}
              onChange={(e) => setPruneAll(e.target.value === 'all')}
            >
              <option value="all">all unused</option>
              <option value="anonymous">anonymous only</option>
            </select>
            <button className="btn" disabled={busy} onClick={prune}>
              Prune
            </button>
          </div>
        )}
      </div>
      {canOperate && (
        <form
          className="card flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <input
            className="input max-w-xs"
            placeholder="name (empty: anonymous)"
            aria-label="volume name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <input
            className="input max-w-sm"
            placeholder="labels: key=value, key2=value2"
            aria-label="labels"
            value={labels}
            onChange={(e) => setLabels(e.target.value)}
          />
          <button className="btn-primary" disabled={busy}>
            Create
          </button>
        </form>
      )}
      <ErrorAlert message={error} onClose={() => action.setError('')} />
      <Notice message={notice} testId="volumes-notice" />
      <div className="card overflow-x-auto p-0">
        <table className={TABLE}>
          <thead className={THEAD}>
            <tr>
              <th className="px-3 py-2 font-medium">Name</th>
              <th className="px-2 font-medium">Driver</th>
              <th className="px-2 text-right font-medium">Size</th>
              <th className="px-2 font-medium">Mountpoint</th>
              <th className="px-2 font-medium">Created</th>
              <th className="px-2 font-medium">Labels</th>
              <th className="px-2 font-medium">Used by</th>
              <th className="px-3" />
            </tr>
          </thead>
          <tbody>
            {shown.map((v) => {
              const open = expanded === v.name;
              return (
                <Fragment key={v.name}>
                  <tr className={ROW} data-testid={`volume-${v.name}`}>
                    <td className="px-3 py-2 font-mono text-xs" title={v.name}>
                      {v.name.length > 30 ? `${v.name.slice(0, 12)}…` : v.name}
                    </td>
                    <td className="px-2">{v.driver}</td>
                    <td className="whitespace-nowrap px-2 text-right tabular-nums" data-testid="volume-size">
                      {sizes.has(v.name) ? bytes(sizes.get(v.name)!) : dfQ.isPending ? '…' : '—'}
                    </td>
                    <td className="max-w-[16rem] truncate px-2 font-mono text-xs" title={v.mountpoint}>
                      {v.mountpoint}
                    </td>
                    <td className="whitespace-nowrap px-2" title={v.createdAt}>
                      {ago(v.createdAt)}
                    </td>
                    <td className="px-2">
                      <Labels labels={v.labels} />
                    </td>
                    <td className="px-2">
                      {v.usedBy.length ? `${v.usedBy.length} container${v.usedBy.length > 1 ? 's' : ''}` : <span className="text-zinc-500">unused</span>}
                    </td>
                    <td className="space-x-1 whitespace-nowrap px-3 py-1 text-right">
                      <button className="btn" aria-expanded={open} onClick={() => setExpanded(open ? null : v.name)}>
                        inspect
                      </button>
                      {canOperate && (
                        <button
                          className="btn-danger"
                          disabled={busy || v.usedBy.length > 0}
                          title={v.usedBy.length ? 'in use' : undefined}
                          onClick={() => remove(v)}
                        >
                          remove
                        </button>
                      )}
                    </td>
                  </tr>
                  {open && (
                    <tr>
                      <td colSpan={8} className="bg-zinc-50 px-3 py-2 text-xs dark:bg-zinc-950" data-testid="volume-inspect">
                        <dl className="grid grid-cols-[8rem_1fr] gap-1">
                          <dt className="text-zinc-500">Name</dt>
                          <dd className="break-all font-mono">{v.name}</dd>
                          <dt className="text-zinc-500">Mountpoint</dt>
                          <dd className="break-all font-mono">{v.mountpoint}</dd>
                          <dt className="text-zinc-500">Anonymous</dt>
                          <dd>{v.anonymous ? 'yes' : 'no'}</dd>
                          <dt className="text-zinc-500">Containers</dt>
                          <dd>
                            {v.usedBy.length ? (
                              <ul>
                                {v.usedBy.map((id) => (
                                  <li key={id}>
                                    <Link className="text-sky-700 dark:text-sky-400 hover:underline" href={`/containers/${id}`}>
                                      {names.get(id) ?? id.slice(0, 12)}
                                    </Link>
                                  </li>
                                ))}
                              </ul>
                            ) : (
                              'none'
                            )}
                          </dd>
                        </dl>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
        {loaded && !shown.length && <p className="py-6 text-center text-sm text-zinc-500">{volumes.length ? 'No volume matches.' : 'No volumes yet.'}</p>}
      </div>
    </div>
  );
}
