'use client';
import type { ContainerInspect } from '@skiff/docker-types';
import type { ContainerStats } from '@skiff/runtime/types';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import { bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';
import { TimeChart } from './time-chart';

// one sample a second: an hour of history, then the oldest go
const KEEP = 3600;

/** the container's own limits, drawn as dashed lines (0: none set) */
export interface Limits {
  /** bytes */
  memory: number;
  /** percent of one CPU (1.5 CPUs: 150) */
  cpu: number;
}

export function limitsOf(info: ContainerInspect): Limits {
  const h = info.HostConfig;
  // --cpus is NanoCpus, the one CPU limit the runtime takes (--cpu-quota is refused)
  return { memory: h?.Memory ?? 0, cpu: h?.NanoCpus ? (h.NanoCpus / 1e9) * 100 : 0 };
}

/**
 * CPU % between two samples of this stream, from the cumulative counters: the agent's own
 * `cpuPercent` is taken against the last sample of any reader of the container, so two
 * readers (another tab, `skiff stats`) halve each other's window and make it jump.
 */
function cpuBetween(prev: ContainerStats | undefined, s: ContainerStats): number {
  if (!prev) return s.cpuPercent;
  const cpu = s.cpuTotalNs - prev.cpuTotalNs;
  const sys = s.systemNs - prev.systemNs;
  return cpu > 0 && sys > 0 ? (cpu / sys) * s.onlineCpus * 100 : 0;
}

/** per-second rate between consecutive cumulative counters (null for the first sample) */
const rates = (xs: ContainerStats[], pick: (s: ContainerStats) => number): (number | null)[] =>
  xs.map((s, i) => {
    const p = xs[i - 1];
    if (!p) return null;
    const secs = Math.max(0.001, (Date.parse(s.read) - Date.parse(p.read)) / 1000);
    return Math.max(0, (pick(s) - pick(p)) / secs);
  });

const percent = (v: number) => (v === 0 ? '0%' : `${v.toFixed(v < 10 ? 1 : 0)}%`);
const rate = (v: number) => `${bytes(v)}/s`;

/** a byte counter of the samples, drawn as its rate per second */
interface Counter {
  label: string;
  colour: string;
  pick: (s: ContainerStats) => number;
}

/** the cards of two byte counters each: the latest rate of each, their totals, and both over time */
const RATE_CARDS: { testId: string; title: string; chart: string; counters: [Counter, Counter] }[] = [
  {
    testId: 'stats-net',
    title: 'Network',
    chart: 'network over time',
    counters: [
      { label: 'in', colour: '#10b981', pick: (s) => s.netRx },
      { label: 'out', colour: '#3b82f6', pick: (s) => s.netTx },
    ],
  },
  {
    testId: 'stats-blkio',
    title: 'Block I/O',
    chart: 'block I/O over time',
    counters: [
      { label: 'read', colour: '#f59e0b', pick: (s) => s.blockRead },
      { label: 'write', colour: '#f43f5e', pick: (s) => s.blockWrite },
    ],
  },
];

function RatesCard({ card, samples, last, times }: { card: (typeof RATE_CARDS)[number]; samples: ContainerStats[]; last: ContainerStats; times: number[] }) {
  const series = (c: Counter) => ({ label: c.label, colour: c.colour, values: rates(samples, c.pick), total: c.pick(last) });
  const a = series(card.counters[0]);
  const b = series(card.counters[1]);
  return (
    <div className="card" data-testid={card.testId}>
      {card.title} {rate(a.values.at(-1) ?? 0)} {a.label} · {rate(b.values.at(-1) ?? 0)} {b.label}{' '}
      <span className="text-zinc-500">
        (total {bytes(a.total)} / {bytes(b.total)})
      </span>
      <TimeChart title={card.chart} times={times} unit={rate} floor={1024} series={[a, b]} />
    </div>
  );
}

/**
 * CPU, memory, network and block I/O since the stats were first shown, one sample a second,
 * as time charts with the container's memory limit and CPU quota when it has them.
 */
export function Stats({ id, limits = { memory: 0, cpu: 0 } }: { id: string; limits?: Limits }) {
  const [samples, setSamples] = useState<ContainerStats[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another container's samples start from none
  useEffect(() => setSamples([]), [id]);
  const stream = useSubscription(
    useTRPC().containers.statsStream.subscriptionOptions({ id }, { onData: (s) => setSamples((xs) => [...xs.slice(-(KEEP - 1)), s]) }),
  );
  const error = stream.error ? errorMessage(stream.error) : '';
  if (error)
    return (
      <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">
        {error}
      </p>
    );
  const last = samples.at(-1);
  if (!last) return <p className="text-sm">collecting…</p>;
  const times = samples.map((s) => Date.parse(s.read) / 1000);
  const cpu = samples.map((s, i) => cpuBetween(samples[i - 1], s));
  const flat = (v: number) => samples.map(() => v);
  return (
    <div className="grid gap-3 text-sm md:grid-cols-2">
      <div className="card" data-testid="stats-cpu">
        CPU {percent(cpu.at(-1) ?? 0)}{' '}
        <span className="text-zinc-500">
          of {last.onlineCpus} CPUs{limits.cpu ? ` · limit ${percent(limits.cpu)}` : ''} · {last.pids} processes
        </span>
        <TimeChart
          title="CPU over time"
          times={times}
          unit={percent}
          floor={limits.cpu || 5}
          series={[
            { label: 'CPU', colour: '#0ea5e9', values: cpu },
            ...(limits.cpu ? [{ label: 'limit', colour: '#f43f5e', values: flat(limits.cpu), limit: true }] : []),
          ]}
        />
      </div>
      <div className="card" data-testid="stats-mem">
        Memory {(last.memoryUsage / 1024 / 1024).toFixed(1)} MiB{' '}
        <span className="text-zinc-500">/ {limits.memory ? bytes(limits.memory) : `no limit (host ${bytes(last.memoryLimit)})`}</span>
        <TimeChart
          title="memory over time"
          times={times}
          unit={bytes}
          floor={1024 * 1024}
          series={[
            { label: 'used', colour: '#8b5cf6', values: samples.map((s) => s.memoryUsage) },
            ...(limits.memory ? [{ label: 'limit', colour: '#f43f5e', values: flat(limits.memory), limit: true }] : []),
          ]}
        />
      </div>
      {RATE_CARDS.map((card) => (
        <RatesCard key={card.testId} card={card} samples={samples} last={last} times={times} />
      ))}
    </div>
  );
}
