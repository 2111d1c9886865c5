'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import type { ContainerStats } from '@skiff/runtime/types';
import { bytes } from '../../lib/format';
import { errorMessage } from '../../lib/errors';
import { useTRPC } from '../../trpc/react';

const WINDOW = 120;

/** An area chart of the last samples, scaled to `max` (or to the largest sample). */
function Chart({ values, max, colour }: { values: number[]; max?: number; colour: string }) {
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const w = WINDOW - 1;
  const pts = values.map((v, i) => `${w - (values.length - 1 - i)},${40 - (v / top) * 38}`);
  return (
    <svg viewBox={`0 0 ${w} 40`} preserveAspectRatio="none" className="mt-2 h-20 w-full" aria-hidden>
      {pts.length > 1 && <polygon points={`${pts[0]!.split(',')[0]},40 ${pts.join(' ')} ${w},40`} className={colour} fillOpacity={0.25} />}
      {pts.length > 1 && <polyline points={pts.join(' ')} fill="none" className={colour} strokeWidth={0.8} vectorEffect="non-scaling-stroke" />}
    </svg>
  );
}

/** per-second rate between consecutive cumulative counters */
const rates = (xs: ContainerStats[], pick: (s: ContainerStats) => number) =>
  xs.slice(1).map((s, i) => Math.max(0, (pick(s) - pick(xs[i]!)) / Math.max(0.001, (Date.parse(s.read) - Date.parse(xs[i]!.read)) / 1000)));

/** CPU, memory, network and block I/O over the last two minutes, one sample a second. */
export function Stats({ id }: { id: string }) {
  const [samples, setSamples] = useState<ContainerStats[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another container's samples start from none
  useEffect(() => setSamples([]), [id]);
  const stream = useSubscription(
    useTRPC().containers.statsStream.subscriptionOptions({ id }, { onData: (s) => setSamples((xs) => [...xs.slice(-(WINDOW - 1)), s]) }),
  );
  const error = stream.error ? errorMessage(stream.error) : '';
  if (error)
    return (
      <p role="alert" className="text-sm text-rose-600">
        {error}
      </p>
    );
  const last = samples.at(-1);
  if (!last) return <p className="text-sm">collecting…</p>;
  const rx = rates(samples, (s) => s.netRx);
  const tx = rates(samples, (s) => s.netTx);
  const rd = rates(samples, (s) => s.blockRead);
  const wr = rates(samples, (s) => s.blockWrite);
  const limited = last.memoryLimit > 0 && last.memoryLimit < 2 ** 60;
  return (
    <div className="grid gap-3 text-sm md:grid-cols-2">
      <div className="card" data-testid="stats-cpu">
        CPU {last.cpuPercent.toFixed(1)}%{' '}
        <span className="text-zinc-500">
          of {last.onlineCpus} CPUs · {last.pids} processes
        </span>
        <Chart values={samples.map((s) => s.cpuPercent)} max={100} colour="fill-sky-500 stroke-sky-500" />
      </div>
      <div className="card" data-testid="stats-mem">
        Memory {(last.memoryUsage / 1024 / 1024).toFixed(1)} MiB <span className="text-zinc-500">/ {limited ? bytes(last.memoryLimit) : 'no limit'}</span>
        <Chart values={samples.map((s) => s.memoryUsage)} max={limited ? last.memoryLimit : undefined} colour="fill-violet-500 stroke-violet-500" />
      </div>
      <div className="card" data-testid="stats-net">
        Network {bytes(rx.at(-1) ?? 0)}/s in · {bytes(tx.at(-1) ?? 0)}/s out{' '}
        <span className="text-zinc-500">
          (total {bytes(last.netRx)} / {bytes(last.netTx)})
        </span>
        <Chart values={rx.map((v, i) => v + tx[i]!)} colour="fill-emerald-500 stroke-emerald-500" />
      </div>
      <div className="card" data-testid="stats-blkio">
        Block I/O {bytes(rd.at(-1) ?? 0)}/s read · {bytes(wr.at(-1) ?? 0)}/s write{' '}
        <span className="text-zinc-500">
          (total {bytes(last.blockRead)} / {bytes(last.blockWrite)})
        </span>
        <Chart values={rd.map((v, i) => v + wr[i]!)} colour="fill-amber-500 stroke-amber-500" />
      </div>
    </div>
  );
}
