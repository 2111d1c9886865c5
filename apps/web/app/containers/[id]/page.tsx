'use client';
import { use, useEffect, useRef, useState } from 'react';
import { Terminal } from '../../../components/terminal';
import { useMe } from '../../../components/use-auth';
import { api, errorMessage } from '../../../lib/trpc';

type Tab = 'overview' | 'logs' | 'terminal' | 'inspect';

export default function ContainerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const me = useMe();
  const [tab, setTab] = useState<Tab>('overview');
  const [info, setInfo] = useState<Record<string, any> | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!me) return;
    api().containers.inspect.query({ id }).then(setInfo, (e) => setError(errorMessage(e)));
  }, [me, id, tab]);
  if (error) return <p role="alert" className="text-rose-600">{error}</p>;
  if (!info) return <p>loading…</p>;
  const state = info.State;
  const tabs: Tab[] = ['overview', 'logs', ...(me?.role !== 'viewer' && state.Running ? (['terminal'] as Tab[]) : []), 'inspect'];
  return (
    <div className="space-y-3">
      <h1 className="text-xl font-semibold">{info.Name.slice(1)} <span className="text-sm text-zinc-500">{info.Id.slice(0, 12)}</span></h1>
      <div className="flex gap-1">
        {tabs.map((t) => (
          <button key={t} className={t === tab ? 'btn-primary' : 'btn'} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      {tab === 'overview' && (
        <div className="card grid grid-cols-2 gap-2 text-sm">
          <div>State</div><div data-testid="state">{state.Status}{state.OOMKilled ? ' (OOM killed)' : ''}</div>
          <div>Exit code</div><div>{state.ExitCode}</div>
          <div>Image</div><div className="font-mono text-xs">{info.Config.Image}</div>
          <div>Command</div><div className="font-mono text-xs">{[info.Path, ...info.Args].join(' ')}</div>
          <div>IP address</div><div>{info.NetworkSettings.IPAddress || '—'}</div>
          <div>Started</div><div>{state.StartedAt}</div>
        </div>
      )}
      {tab === 'logs' && <Logs id={id} />}
      {tab === 'terminal' && <Terminal id={id} />}
      {tab === 'inspect' && <pre className="card overflow-auto text-xs">{JSON.stringify(info, null, 2)}</pre>}
    </div>
  );
}

function Logs({ id }: { id: string }) {
  const [lines, setLines] = useState<{ stream: string; time: string; line: string }[]>([]);
  const [timestamps, setTimestamps] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    const sub = api().containers.logs.subscribe(
      { id, options: { follow: true, tail: 500 } },
      { onData: (e) => setLines((l) => [...l.slice(-4999), e]) },
    );
    return () => sub.unsubscribe();
  }, [id]);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [lines]);
  return (
    <div className="card">
      <label className="mb-2 flex items-center gap-2 text-xs">
        <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> timestamps
      </label>
      <pre className="max-h-96 overflow-auto text-xs" data-testid="logs">
        {lines.map((l, i) => (
          <span key={i} className={l.stream === 'stderr' ? 'text-rose-500' : ''}>
            {timestamps ? `${l.time} ` : ''}
            {l.line}
          </span>
        ))}
        <div ref={end} />
      </pre>
    </div>
  );
}
