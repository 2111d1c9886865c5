'use client';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { useConfirm } from '../../components/confirm-dialog';
import { RunForm } from '../../components/run-form';
import { useAction } from '../../components/use-action';
import { useMe } from '../../components/use-auth';
import { bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import type { Client } from '../../lib/trpc';
import { pathsForMutation } from '../../trpc/invalidation';
import { useInvalidate, useTRPC, useTRPCClient } from '../../trpc/react';

const STATE_COLOUR: Record<string, string> = {
  running: 'bg-emerald-500',
  paused: 'bg-amber-500',
  restarting: 'bg-amber-500',
  exited: 'bg-zinc-400',
  dead: 'bg-rose-500',
  created: 'bg-sky-400',
};
const STATES = ['all', 'running', 'paused', 'exited', 'created'] as const;
const ROW_HEIGHT = 44;
// tablets drop the CPU and memory columns rather than cutting off the row's buttons
const COLUMNS =
  'grid-cols-[2rem_minmax(6rem,1.4fr)_minmax(6rem,1.2fr)_minmax(6rem,1fr)_minmax(4rem,0.8fr)_auto] lg:grid-cols-[2rem_minmax(8rem,1.4fr)_minmax(8rem,1.4fr)_minmax(7rem,1fr)_minmax(5rem,0.8fr)_4rem_5rem_auto]';

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

export default function ContainersPageShell() {
  // useSearchParams needs a Suspense boundary in a statically rendered page
  return (
    <Suspense>
      <ContainersPage />
    </Suspense>
  );
}

function ContainersPage() {
  const me = useMe();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const invalidate = useInvalidate();
  const params = useSearchParams();
  const list = useQuery(trpc.containers.list.queryOptions({ all: true }, { enabled: !!me }));
  const rows = useMemo(() => list.data ?? [], [list.data]);
  const loaded = list.isSuccess;
  const action = useAction();
  const confirm = useConfirm();
  const [notice, setNotice] = useState('');
  const [search, setSearch] = useState('');
  const [state, setState] = useState<(typeof STATES)[number]>(() =>
    (STATES as readonly string[]).includes(params.get('state') ?? '') ? (params.get('state') as (typeof STATES)[number]) : 'all',
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [showRun, setShowRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const canOperate = !!me?.can.operate;
  const start = useMutation(trpc.containers.start.mutationOptions());
  const stop = useMutation(trpc.containers.stop.mutationOptions());
  const remove = useMutation(trpc.containers.remove.mutationOptions());
  const error = action.error || (list.error ? errorMessage(list.error) : '');

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return rows.filter(
      (r) =>
        (state === 'all' || r.state === state) &&
        (!q ||
          r.names[0]!.toLowerCase().includes(q) ||
          r.image.toLowerCase().includes(q) ||
          r.id.startsWith(q) ||
          r.ports.some((p) => `${p.publicPort}`.startsWith(q))),
    );
  }, [rows, search, state]);

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

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const items = virtual.getVirtualItems();

  // CPU/memory for the running rows on screen, every 5 s (never for 1000 rows at once)
  const visibleRunning = items
    .map((i) => shown[i.index])
    .filter((r) => r && r.state === 'running')
    .map((r) => r!.id);
  const stats = useQuery(
    trpc.containers.statsSummary.queryOptions(
      { ids: visibleRunning },
      { enabled: !!me && visibleRunning.length > 0, refetchInterval: 5000, placeholderData: keepPreviousData },
    ),
  );
  const usage = useMemo(() => new Map((stats.data ?? []).map((g) => [g.id, g])), [stats.data]);

  // remove and kill ask first, naming the containers (bulkRun does the work)
  const bulk = async (what: Bulk) => {
    const ids = [...selected];
    if (what !== 'remove' && what !== 'kill') return bulkRun(what, ids);
    const names = ids.map((id) => rows.find((r) => r.id === id)?.names[0]?.slice(1) ?? id.slice(0, 12));
    const object = names.length === 1 ? `container ${names[0]}` : `${names.length} containers`;
    const verb = what === 'remove' ? 'Remove' : 'Kill';
    await confirm.ask({
      title: `${verb} ${object}?`,
      body: `${names.length > 1 ? `${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}. ` : ''}${
        what === 'remove' ? 'Running ones are killed; their writable layers and logs are deleted.' : 'Their processes get SIGKILL at once.'
      }`,
      confirm: `${verb} ${object}`,
      run: () => bulkRun(what, ids),
    });
  };
  const removeOne = (id: string, name: string, running: boolean) =>
    confirm.ask({
      title: `Remove container ${name}?`,
      body: `${running ? 'It is running and will be killed. ' : ''}Its writable layer and logs are deleted; named volumes stay.`,
      confirm: `Remove container ${name}`,
      run: () => action.run(() => remove.mutateAsync({ id, force: true })),
    });

  const bulkRun = async (what: Bulk, ids: string[]) => {
    setBusy(true);
    action.setError('');
    setNotice(`${what}: 0 / ${ids.length}`);
    const failures: string[] = [];
    let done = 0;
    // a few at a time: fast, without flooding the agent with 1000 parallel stops
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const name = rows.find((r) => r.id === id)?.names[0]?.slice(1) ?? id.slice(0, 12);
          await bulkCall(client, what, id).catch((e) => failures.push(`${name}: ${errorMessage(e)}`));
          setNotice(`${what}: ${++done} / ${ids.length}`);
        }
      }),
    );
    setBusy(false);
    setNotice(failures.length ? '' : `${what}: ${ids.length} done`);
    if (failures.length) action.setError(`${failures.length} failed — ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`);
    if (what === 'remove') setSelected(new Set());
    await invalidate(pathsForMutation(`containers.${what}`));
  };

  const allSelected = shown.length > 0 && selected.size === shown.length;
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
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
        <div className="flex gap-1" role="group" aria-label="state filter">
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
          <button className="btn" disabled={busy} onClick={() => setSelected(new Set())}>
            clear
          </button>
          {notice && (
            <span className="text-zinc-500" data-testid="bulk-progress">
              {notice}
            </span>
          )}
        </div>
      )}
      <div className="card p-0">
        <div className={`grid ${COLUMNS} items-center gap-2 border-b border-zinc-200 px-3 py-2 text-xs text-zinc-500 dark:border-zinc-800`} role="row">
          <span>
            {canOperate && (
              <input
                type="checkbox"
                aria-label="select all"
                checked={allSelected}
                onChange={() => setSelected(allSelected ? new Set() : new Set(shown.map((r) => r.id)))}
              />
            )}
          </span>
          <span>Name</span>
          <span>Image</span>
          <span>State</span>
          <span>Ports</span>
          <span className="hidden lg:block">CPU</span>
          <span className="hidden lg:block">Memory</span>
          <span />
        </div>
        <div ref={scroller} className="max-h-[70vh] overflow-auto" data-testid="container-rows">
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {items.map((item) => {
              const c = shown[item.index]!;
              const name = c.names[0]!.slice(1);
              const u = usage.get(c.id);
              const running = c.state === 'running';
              return (
                <div
                  key={c.id}
                  role="row"
                  data-testid={`row-${name}`}
                  className={`absolute left-0 grid w-full ${COLUMNS} items-center gap-2 border-b border-zinc-100 px-3 text-sm dark:border-zinc-800`}
                  style={{ top: item.start, height: ROW_HEIGHT }}
                >
                  <span>
                    {canOperate && <input type="checkbox" aria-label={`select ${name}`} checked={selected.has(c.id)} onChange={() => toggle(c.id)} />}
                  </span>
                  <Link className="truncate text-sky-600 hover:underline" href={`/containers/${c.id}`} title={c.id}>
                    {name}
                  </Link>
                  <span className="truncate font-mono text-xs" title={c.image}>
                    {c.image}
                  </span>
                  <span className="truncate" title={c.status}>
                    <span className={`mr-2 inline-block h-2 w-2 rounded-full ${STATE_COLOUR[c.state] ?? 'bg-zinc-400'}`} />
                    {c.status}
                  </span>
                  <span className="truncate text-xs">
                    {c.ports
                      .filter((p) => p.publicPort)
                      .map((p) => (
                        <a
                          key={`${p.publicPort}/${p.type}`}
                          className="mr-2 text-sky-600 hover:underline"
                          href={`http://${location.hostname}:${p.publicPort}/`}
                          target="_blank"
                          rel="noreferrer"
                        >
                          {p.publicPort}→{p.privatePort}
                        </a>
                      ))}
                  </span>
                  <span className="hidden text-xs tabular-nums lg:block">{running && u ? `${u.cpuPercent.toFixed(1)}%` : '—'}</span>
                  <span className="hidden text-xs tabular-nums lg:block">{running && u ? bytes(u.memoryUsage) : '—'}</span>
                  <span className="space-x-1 whitespace-nowrap text-right">
                    {canOperate && !running && c.state !== 'paused' && (
                      <button className="btn" onClick={() => void action.run(() => start.mutateAsync({ id: c.id }))}>
                        start
                      </button>
                    )}
                    {canOperate && running && (
                      <button className="btn" onClick={() => void action.run(() => stop.mutateAsync({ id: c.id, timeout: 3 }))}>
                        stop
                      </button>
                    )}
                    {canOperate && (
                      <button className="btn-danger" aria-label={`remove ${name}`} onClick={() => void removeOne(c.id, name, running)}>
                        remove
                      </button>
                    )}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
        {loaded && !shown.length && <p className="py-6 text-center text-sm text-zinc-500">{rows.length ? 'No container matches.' : 'No containers yet.'}</p>}
        {confirm.dialog}
        <p className="px-3 py-1 text-right text-xs text-zinc-500" data-testid="shown-count">
          {shown.length} of {rows.length}
        </p>
      </div>
    </div>
  );
}
