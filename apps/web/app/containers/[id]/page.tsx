'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Activity } from '../../../components/container/activity';
import { ContainerActions } from '../../../components/container/actions';
import { JsonTree } from '../../../components/container/json-tree';
import { Logs } from '../../../components/container/logs';
import { Overview } from '../../../components/container/overview';
import { limitsOf, Stats } from '../../../components/container/stats';
import { Top } from '../../../components/container/top';
import { Terminal } from '../../../components/terminal';
import { useMe } from '../../../components/use-auth';
import { useRouteParam } from '../../../components/use-route-param';
import { useTitle } from '../../../components/use-title';
import { useUrlState } from '../../../components/use-url-state';
import { errorMessage, isNotFound } from '../../../lib/errors';
import { useTRPC } from '../../../trpc/react';

type Tab = 'overview' | 'logs' | 'terminal' | 'stats' | 'top' | 'inspect';
const SHELLS = ['/bin/sh', '/bin/bash', '/bin/ash'];

// the id comes from the URL: the static export has one page for every container (lib/route-param.ts)
export default function ContainerRoute() {
  const id = useRouteParam('/containers/');
  return id ? <ContainerPage key={id} id={id} /> : <p>loading…</p>;
}

function ContainerPage({ id }: { id: string }) {
  const me = useMe();
  // the tab is in the URL (?tab=logs): a refresh keeps it, back goes to the tab before
  const [tab, setTab] = useUrlState('tab', 'overview');
  const trpc = useTRPC();
  // the page follows the container: start/stop/die/rename from anywhere refetch it (trpc/live-events.tsx)
  const inspect = useQuery(trpc.containers.inspect.queryOptions({ id }, { enabled: !!me }));
  const info = inspect.data;
  const [actionError, setError] = useState('');
  const error = actionError || (inspect.error && !isNotFound(inspect.error) ? errorMessage(inspect.error) : '');
  useTitle(info?.Name.slice(1) ?? id.slice(0, 12), 'Containers');

  if (inspect.error && isNotFound(inspect.error))
    return (
      <p className="card">
        No such container: {decodeURIComponent(id)}.{' '}
        <Link className="text-sky-700 dark:text-sky-400 hover:underline" href="/containers">
          Back to containers
        </Link>
      </p>
    );
  if (!info)
    return error ? (
      <p role="alert" className="text-rose-700 dark:text-rose-400">
        {error}
      </p>
    ) : (
      <p>loading…</p>
    );
  const state = info.State;
  const canOperate = !!me?.can.operate;
  const tabs: Tab[] = [
    'overview',
    'logs',
    ...(canOperate && state.Running ? (['terminal'] as Tab[]) : []),
    ...(state.Running ? (['stats', 'top'] as Tab[]) : []),
    'inspect',
  ];
  const current = tabs.includes(tab as Tab) ? (tab as Tab) : 'overview';
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold">
          {info.Name.slice(1)} <span className="text-sm font-normal text-zinc-500">{info.Id.slice(0, 12)}</span>
        </h1>
        <span
          className={`rounded px-2 py-0.5 text-xs ${state.Running ? (state.Paused ? 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300' : 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300') : 'bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300'}`}
          data-testid="state"
        >
          {state.Status}
        </span>
        <span className="flex-1" />
        {canOperate && <ContainerActions info={info} onError={setError} />}
      </div>
      <Activity id={info.Id} running={state.Running} />
      {error && (
        <p role="alert" className="rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-1" role="tablist">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={t === current} className={t === current ? 'btn-primary' : 'btn'} onClick={() => setTab(t, 'push')}>
            {t}
          </button>
        ))}
      </div>
      {current === 'overview' && <Overview info={info} />}
      {current === 'logs' && <Logs id={id} name={info.Name.slice(1)} />}
      {current === 'terminal' && <TerminalTab id={id} />}
      {/* sampled from the page's opening on, not from when the tab is first shown */}
      {state.Running && (
        <div hidden={current !== 'stats'}>
          <Stats id={id} limits={limitsOf(info)} />
        </div>
      )}
      {current === 'top' && <Top id={id} />}
      {current === 'inspect' && (
        <div className="card overflow-auto font-mono text-xs" data-testid="inspect">
          <button className="btn mb-2" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(info, null, 2))}>
            copy JSON
          </button>
          <JsonTree value={info} />
        </div>
      )}
    </div>
  );
}

/** Which command and user to exec, then the terminal; "reconnect" starts a fresh session. */
function TerminalTab({ id }: { id: string }) {
  const [shell, setShell] = useState(SHELLS[0]!);
  const [custom, setCustom] = useState('');
  const [user, setUser] = useState('');
  const [session, setSession] = useState({ cmd: [SHELLS[0]!], user: '', generation: 0 });
  const connect = () =>
    setSession((s) => ({ cmd: shell === 'custom' ? custom.trim().split(/\s+/).filter(Boolean) : [shell], user, generation: s.generation + 1 }));
  return (
    <div className="card space-y-2">
      <form
        className="flex flex-wrap items-end gap-2 text-xs"
        onSubmit={(e) => {
          e.preventDefault();
          connect();
        }}
      >
        <label>
          <span className="label">Command</span>
          <select className="input w-32" aria-label="shell" value={shell} onChange={(e) => setShell(e.target.value)}>
            {SHELLS.map((s) => (
              <option key={s}>{s}</option>
            ))}
            <option value="custom">custom…</option>
          </select>
        </label>
        {shell === 'custom' && (
          <label>
            <span className="label">Custom command</span>
            <input
              className="input w-56 font-mono"
              aria-label="custom command"
              placeholder="top -d 1"
              value={custom}
              onChange={(e) => setCustom(e.target.value)}
            />
          </label>
        )}
        <label>
          <span className="label">User</span>
          <input className="input w-32" aria-label="exec user" placeholder="default" value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <button className="btn-primary" disabled={shell === 'custom' && !custom.trim()}>
          {session.generation ? 'reconnect' : 'connect'}
        </button>
      </form>
      <Terminal id={id} cmd={session.cmd} user={session.user} generation={session.generation} />
    </div>
  );
}
