/**
 * What every bench prints and keeps: medians/percentiles, a markdown table for
 * docs/performance.md, and a JSON result under bench/results/ that bench/lib/plot.mts
 * turns into a PNG. Keep benches on these helpers so all numbers are computed one way.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { plot } from './plot.mjs';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** nearest-rank percentile, p in 0..100 */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export const median = (xs: number[]) => percentile(xs, 50);

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export interface Row {
  /** what was measured, e.g. "runc run" or "skiff API, bridge" */
  label: string;
  /** the headline number (a median unless the unit says otherwise) */
  value: number;
  unit: string;
  /** extra columns, e.g. { p90: 12.3, 'x runc': 0.7 } */
  extra?: Record<string, number | string>;
}

export interface BenchResult {
  /** file stem under bench/results and the plot's name */
  name: string;
  title: string;
  rows: Row[];
  /** optional series for line plots, e.g. density: x = N, one line per metric */
  series?: { name: string; unit: string; points: { x: number; y: number }[] }[];
  notes?: string[];
}

const fmt = (v: number | string) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : v);

export function markdownTable(rows: Row[]): string {
  const extraCols = [...new Set(rows.flatMap((r) => Object.keys(r.extra ?? {})))];
  const head = ['measurement', 'value', 'unit', ...extraCols];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const r of rows)
    lines.push(`| ${[r.label, fmt(r.value), r.unit, ...extraCols.map((c) => (r.extra?.[c] === undefined ? '' : fmt(r.extra[c]!)))].join(' | ')} |`);
  return lines.join('\n');
}

/** prints the table and writes bench/results/<name>.json (with host facts) */
export function report(result: BenchResult): void {
  console.log(`\n${result.title} (${new Date().toISOString()}, ${cpus().length} cpus, kernel ${release()})`);
  console.log(markdownTable(result.rows));
  for (const n of result.notes ?? []) console.log(`note: ${n}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, JSON.stringify({ ...result, date: new Date().toISOString(), cpus: cpus().length, kernel: release() }, null, 2) + '\n');
  console.log(`wrote ${file}`);
  for (const png of plot(result)) console.log(`wrote ${png}`);
}
