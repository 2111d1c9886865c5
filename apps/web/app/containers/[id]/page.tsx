'use client';
import { use, useEffect, useRef, useState } from 'react';
import { Terminal } from '../../../components/terminal';
import { useMe } from '../../../components/use-auth';
import { api, errorMessage } from '../../../lib/trpc';

type Tab = 'overview' | 'logs' | 'terminal' | 'stats' | 'inspect';

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
  const tabs: Tab[] = ['overview', 'logs', ...(me?.role !== 'viewer' && state.Running ? (['terminal'] as Tab[]) : []), ...(state.Running ? (['stats'] as Tab[]) : []), 'inspect'];
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
      {tab === 'stats' && <Stats id={id} />}
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

type Sample = { cpuPercent: number; memoryUsage: number; memoryLimit: number; pids: number; netRx: number; netTx: number };

/** one sample a second from the agent; CPU and memory as sparkline bars over the last minute */
function Stats({ id }: { id: string }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    const sub = api().containers.statsStream.subscribe({ id }, { onData: (s) => setSamples((xs) => [...xs.slice(-59), s]) });
    return () => sub.unsubscribe();
  }, [id]);
  const last = samples.at(-1);
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const bars = (values: number[], max: number) => (
    <div className="flex h-16 items-end gap-px">
      {values.map((v, i) => (
        <div key={i} className="w-1.5 bg-sky-500" style={{ height: `${Math.max(2, (v / (max || 1)) * 100)}%` }} />
      ))}
    </div>
  );
  if (!last) return <p className="text-sm">collecting…</p>;
  return (
    <div className="grid grid-cols-2 gap-3 text-sm">
      <div className="card" data-testid="stats-cpu">CPU {last.cpuPercent.toFixed(1)}%{bars(samples.map((s) => s.cpuPercent), 100)}</div>
      <div className="card" data-testid="stats-mem">Memory {mib(last.memoryUsage)} / {mib(last.memoryLimit)}{bars(samples.map((s) => s.memoryUsage), Math.max(...samples.map((s) => s.memoryUsage)))}</div>
      <div className="card">Processes {last.pids}</div>
      <div className="card">Network {mib(last.netRx)} in / {mib(last.netTx)} out</div>
    </div>
  );
}
