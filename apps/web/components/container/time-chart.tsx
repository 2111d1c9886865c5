'use client';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** a CSS colour (the canvas takes no Tailwind class) */
  colour: string;
  values: (number | null)[];
  /** a dashed line without fill: a limit, not a measurement */
  limit?: boolean;
}

const HEIGHT = 150;

/** 19:40:05, the same at any span the chart shows (an hour at most) */
const clock = (secs: number) => new Date(secs * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/**
 * A time-series chart (uPlot: ~50 KB, canvas, cheap to redraw every second): time on the
 * x axis from the first sample on, `unit` formats the y axis and the values the legend
 * shows under the cursor. The y axis starts at 0 and reaches at least `floor`.
 */
export function TimeChart({
  title,
  times,
  series,
  unit,
  floor = 1,
}: {
  title: string;
  /** unix seconds */
  times: number[];
  series: ChartSeries[];
  unit: (v: number) => string;
  floor?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [times, ...series.map((s) => s.values)] as uPlot.AlignedData;
  const dataRef = useRef(data);
  dataRef.current = data;
  const unitRef = useRef(unit);
  unitRef.current = unit;
  // a series added (a limit set) or renamed needs a new plot; new samples only new data
  const shape = series.map((s) => `${s.label}|${s.colour}|${!!s.limit}`).join(',');

  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for the series' options; their values come through dataRef
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // read at each draw (every sample): a theme switched to dark recolours the axes within a second
    const text = () => getComputedStyle(el).color;
    const grid = { stroke: 'rgba(128,128,128,0.18)', width: 1 };
    const fmt = (v: number | null | undefined) => (v == null ? '—' : unitRef.current(v));
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, floor) * 1.1] } },
        axes: [
          // the labels drawn are also kept on the element: the canvas has no text a reader (or a test) can find
          { stroke: text, grid, ticks: grid, space: 64, values: (_u, splits) => labelled(el, 'xTicks', splits.map(clock)) },
          {
            stroke: text,
            grid,
            ticks: grid,
            size: 72,
            values: (_u, splits) =>
              labelled(
                el,
                'yTicks',
                splits.map((v) => unitRef.current(v)),
              ),
          },
        ],
        series: [
          { label: 'time', value: (_u, v) => (v == null ? '—' : clock(v)) },
          ...shape.split(',').map((_, i) => {
            const s = series[i]!;
            return {
              label: s.label,
              stroke: s.colour,
              width: 1.5,
              fill: s.limit ? undefined : `${s.colour}33`,
              dash: s.limit ? [6, 4] : undefined,
              points: { show: false },
              value: (_u: uPlot, v: number | null) => fmt(v),
            };
          }),
        ],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      dataRef.current,
      el,
    );
    plot.current = u;
    const observer = new ResizeObserver(() => {
      // hidden (another tab): keep the size until shown again
      if (el.clientWidth > 0) u.setSize({ width: el.clientWidth, height: HEIGHT });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, floor]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <div
      ref={box}
      role="figure"
      aria-label={`${title}${times.length ? `, from ${clock(times[0]!)} to ${clock(times.at(-1)!)}` : ''}`}
      className="mt-2 w-full text-zinc-600 dark:text-zinc-400"
      data-testid="chart"
      data-samples={times.length}
    />
  );
}

function labelled(el: HTMLElement, key: 'xTicks' | 'yTicks', labels: string[]): string[] {
  el.dataset[key] = labels.join(' | ');
  return labels;
}
