'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { ContainerSummary } from '@skiff/runtime/types';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useConfirm } from '../../components/confirm-dialog';
import { BulkToolbar } from '../../components/containers/bulk-toolbar';
import { ContainerTable } from '../../components/containers/container-table';
import type { RowAction } from '../../components/containers/container-row';
import {
  filterContainers,
  formatSort,
  groupEntries,
  parseSort,
  type SortKey,
  STATES,
  type StateFilter,
  nameOf,
  sortContainers,
} from '../../components/containers/list-model';
import { RunForm } from '../../components/run-form';
import { toasted } from '../../components/toast';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { useTitle } from '../../components/use-title';
import { useUrlState } from '../../components/use-url-state';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';

/** what a row action's toast says when it worked: "Stopped web" */
const DONE: Record<RowAction, string> = { start: 'Started', stop: 'Stopped', restart: 'Restarted', remove: 'Removed' };

export default function ContainersPage() {
  useTitle('Containers');
  const me = useMe();
  const trpc = useTRPC();
  const list = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: !!me }));
  const rows = useMemo(() => list.data ?? [], [list.data]);
  const loaded = list.isSuccess;
  const action = useAction();
  const confirm = useConfirm();
  // search, state filter and sort live in the URL: a refresh or the back button keeps them
  const [search, setSearch] = useUrlState('q', '');
  const [stateParam, setState] = useUrlState('state', 'all');
  const state: StateFilter = (STATES as readonly string[]).includes(stateParam) ? (stateParam as StateFilter) : 'all';
  const [sortParam, setSort] = useUrlState('sort', 'name');
  const sort = useMemo(() => parseSort(sortParam), [sortParam]);
  // folded stacks too (?folded=shop,blog; project names have no commas)
  const [foldedParam, setFoldedParam] = useUrlState('folded', '');
  const folded = useMemo<ReadonlySet<string>>(() => new Set(foldedParam.split(',').filter(Boolean)), [foldedParam]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [showRun, setShowRun] = useState(false);
  const canOperate = !!me?.can.operate;
  const start = useMutation(trpc.containers.start.mutationOptions());
  const stop = useMutation(trpc.containers.stop.mutationOptions());
  const restart = useMutation(trpc.containers.restart.mutationOptions());
  const remove = useMutation(trpc.containers.remove.mutationOptions());
  const error = action.error || (list.error ? errorMessage(list.error) : '');

  const shown = useMemo(() => filterContainers(rows, search, state), [rows, search, state]);
  const sorted = useMemo(() => sortContainers(shown, sort), [shown, sort]);
  const entries = useMemo(() => groupEntries(sorted, folded), [sorted, folded]);

  // drop selections that no longer exist or are filtered away
  useEffect(() => {
    setSelected((s) => {
      const visible = new Set(shown.map((r) => r.id));
      const next = new Set([...s].filter((id) => visible.has(id)));
      return next.size === s.size ? s : next;
    });
  }, [shown]);

  // "/" jumps to the search box, as on GitHub; Escape clears the selection
  const searchBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if (e.key === '/' && !typing) {
        e.preventDefault();
        searchBox.current?.focus();
      } else if (e.key === 'Escape' && !typing) setSelected(new Set());
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onSort = (key: SortKey) => setSort(formatSort({ key, desc: sort.key === key ? !sort.desc : key === 'created' }));
  const onFold = useCallback(
    (project: string) => {
      const n = new Set(folded);
      if (!n.delete(project)) n.add(project);
      setFoldedParam([...n].sort().join(','));
    },
    [folded, setFoldedParam],
  );
  const onToggle = useCallback(
    (id: string) =>
      setSelected((s) => {
        const n = new Set(s);
        if (!n.delete(id)) n.add(id);
        return n;
      }),
    [],
  );
  const onSelectMany = useCallback(
    (ids: string[], select: boolean) =>
      setSelected((s) => {
        const n = new Set(s);
        for (const id of ids) {
          if (select) n.add(id);
          else n.delete(id);
        }
        return n;
      }),
    [],
  );
  const onAction = (what: RowAction, c: ContainerSummary) => {
    const id = c.id;
    const name = nameOf(c);
    // as on the container's page: a toast says when it is done (a stop may take seconds), wherever the user is by then
    const act = (work: () => Promise<unknown>) => action.run(() => toasted(work(), `${DONE[what]} ${name}`, `Could not ${what} ${name}`));
    if (what === 'start') void act(() => start.mutateAsync({ id }));
    else if (what === 'stop') void act(() => stop.mutateAsync({ id, timeout: 3 }));
    else if (what === 'restart') void act(() => restart.mutateAsync({ id, timeout: 3 }));
    else {
      // removal asks first, naming the container
      void confirm.ask({
        title: `Remove container ${name}?`,
        body: `${c.state === 'running' ? 'It is running and will be killed. ' : ''}Its writable layer and logs are deleted; named volumes stay.`,
        confirm: `Remove container ${name}`,
        run: () => act(() => remove.mutateAsync({ id, force: true })),
      });
    }
  };
  const allSelected = shown.length > 0 && selected.size === shown.length;
  const counts = useMemo(() => Object.fromEntries(STATES.map((s) => [s, s === 'all' ? rows.length : rows.filter((r) => r.state === s).length])), [rows]);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-lg font-semibold">Containers</h1>
        <input
          ref={searchBox}
          className="input max-w-xs"
          type="search"
          placeholder="search name, image, id, port  ( / )"
          aria-label="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <div className="flex flex-wrap gap-1" role="group" aria-label="state filter">
          {STATES.map((s) => (
            <button key={s} className={s === state ? 'btn-primary' : 'btn'} aria-pressed={s === state} onClick={() => setState(s)}>
              {s} <span className="opacity-70">{counts[s]}</span>
            </button>
          ))}
        </div>
        <span className="flex-1" />
        {canOperate && (
          <button className="btn-primary" aria-expanded={showRun} onClick={() => setShowRun((v) => !v)}>
            {showRun ? 'Close' : 'Run a container'}
          </button>
        )}
      </div>
      {canOperate && showRun && <RunForm onError={action.setError} />}
      {error && (
        <p role="alert" className="rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
          {error}
        </p>
      )}
      {canOperate && selected.size > 0 && (
        <BulkToolbar selected={selected} rows={rows} onClear={() => setSelected(new Set())} onError={action.setError} confirm={confirm.ask} />
      )}
      <div className="card p-0">
        <ContainerTable
          entries={entries}
          sort={sort}
          onSort={onSort}
          canOperate={canOperate}
          selected={selected}
          allSelected={allSelected}
          onSelectAll={() => setSelected(allSelected ? new Set() : new Set(shown.map((r) => r.id)))}
          onToggle={onToggle}
          onSelectMany={onSelectMany}
          onFold={onFold}
          onAction={onAction}
          live={!!me}
        />
        {loaded && !shown.length && <p className="py-6 text-center text-sm text-zinc-500">{rows.length ? 'No container matches.' : 'No containers yet.'}</p>}
        {confirm.dialog}
        <p className="px-3 py-1 text-right text-xs text-zinc-500" data-testid="shown-count">
          {shown.length} of {rows.length}
        </p>
      </div>
    </div>
  );
}
