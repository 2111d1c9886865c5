/**
 * Plots a bench result as PNGs under docs/img/: a bar chart of the headline rows (the
 * first row's unit, peers and Skiff side by side), one of the `phase:` rows when there are
 * any, and line charts of `series` (one panel per unit). Drawn as SVG and rendered by
 * Debian's chromium (headless screenshot), the same browser the e2e tests drive, so no
 * plotting library or downloaded renderer is needed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, Row } from './report.mjs';

export const IMG_DIR = join(import.meta.dirname, '..', '..', 'docs', 'img');
const CHROMIUM = '/usr/bin/chromium';
const W = 900;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];

function barsSvg(title: string, rows: Row[]): { svg: string; height: number } {
  const labelW = 360;
  const barH = 22;
  const top = 44;
  const height = top + rows.length * (barH + 8) + 24;
  const max = Math.max(...rows.map((r) => r.value));
  const scale = (W - labelW - 90) / (max || 1);
  const bars = rows.map((r, i) => {
    const y = top + i * (barH + 8);
    const skiff = /skiff/i.test(r.label);
    return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" font-size="13">${esc(r.label)}</text>
<rect x="${labelW}" y="${y}" width="${Math.max(1, r.value * scale)}" height="${barH}" fill="${skiff ? '#2563eb' : '#9ca3af'}"/>
<text x="${labelW + Math.max(1, r.value * scale) + 6}" y="${y + 15}" font-size="12">${num(r.value)} ${esc(r.unit)}</text>`;
  });
  return { svg: `<text x="12" y="24" font-size="15" font-weight="600">${esc(title)}</text>${bars.join('\n')}`, height };
}

function linesSvg(title: string, series: NonNullable<BenchResult['series']>): { svg: string; height: number } {
  const units = [...new Set(series.map((s) => s.unit))];
  const panelH = 240;
  const parts = [`<text x="12" y="24" font-size="15" font-weight="600">${esc(title)}</text>`];
  units.forEach((unit, p) => {
    const ss = series.filter((s) => s.unit === unit);
    const pts = ss.flatMap((s) => s.points);
    const [x0, x1] = [Math.min(...pts.map((q) => q.x)), Math.max(...pts.map((q) => q.x))];
    const y1 = Math.max(...pts.map((q) => q.y)) * 1.1 || 1;
    const ox = 70;
    const oy = 44 + p * (panelH + 30);
    const pw = W - ox - 220;
    const ph = panelH - 40;
    const X = (x: number) => ox + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
    const Y = (y: number) => oy + ph - (y / y1) * ph;
    parts.push(
      `<line x1="${ox}" y1="${oy + ph}" x2="${ox + pw}" y2="${oy + ph}" stroke="#111"/><line x1="${ox}" y1="${oy}" x2="${ox}" y2="${oy + ph}" stroke="#111"/>`,
    );
    parts.push(
      `<text x="${ox - 8}" y="${oy + 4}" text-anchor="end" font-size="11">${num(y1)}</text><text x="${ox - 8}" y="${oy + ph}" text-anchor="end" font-size="11">0</text>`,
    );
    parts.push(`<text x="${ox}" y="${oy - 6}" font-size="12">${esc(unit)}</text>`);
    for (const x of [...new Set(pts.map((q) => q.x))]) parts.push(`<text x="${X(x)}" y="${oy + ph + 16}" text-anchor="middle" font-size="11">${x}</text>`);
    ss.forEach((s, i) => {
      const c = COLORS[i % COLORS.length];
      const sorted = [...s.points].sort((a, b) => a.x - b.x);
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${sorted.map((q) => `${X(q.x)},${Y(q.y)}`).join(' ')}"/>`);
      for (const q of sorted) parts.push(`<circle cx="${X(q.x)}" cy="${Y(q.y)}" r="3" fill="${c}"/>`);
      parts.push(
        `<rect x="${ox + pw + 16}" y="${oy + i * 18}" width="10" height="10" fill="${c}"/><text x="${ox + pw + 30}" y="${oy + i * 18 + 9}" font-size="12">${esc(s.name)}</text>`,
      );
    });
  });
  return { svg: parts.join('\n'), height: 44 + units.length * (panelH + 30) };
}

function render(file: string, chart: { svg: string; height: number }): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-plot-'));
  try {
    const svgFile = join(dir, 'chart.svg');
    writeFileSync(
      svgFile,
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${chart.height}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${chart.svg}</svg>`,
    );
    const r = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--hide-scrollbars',
        `--user-data-dir=${join(dir, 'profile')}`,
        `--window-size=${W},${chart.height}`,
        `--screenshot=${file}`,
        `file://${svgFile}`,
      ],
      { stdio: 'ignore', timeout: 60_000 },
    );
    return r.status === 0 && existsSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** writes docs/img/<name>*.png; returns the files written (none without chromium) */
export function plot(result: BenchResult): string[] {
  if (!existsSync(CHROMIUM)) return [];
  const out: string[] = [];
  const headline = result.rows.filter((r) => !r.label.startsWith('phase:') && r.unit === result.rows[0]?.unit);
  const phases = result.rows.filter((r) => r.label.startsWith('phase:'));
  const title = result.title.length > 110 ? `${result.title.slice(0, 107)}…` : result.title;
  if (headline.length > 1) {
    const f = join(IMG_DIR, `${result.name}.png`);
    if (render(f, barsSvg(`${title} (median)`, headline))) out.push(f);
  }
  if (phases.length) {
    const f = join(IMG_DIR, `${result.name}-phases.png`);
    if (
      render(
        f,
        barsSvg(
          'where a Skiff start spends its time (median per phase)',
          phases.map((r) => ({ ...r, label: r.label.slice('phase: '.length) })),
        ),
      )
    )
      out.push(f);
  }
  if (result.series?.length) {
    const f = join(IMG_DIR, `${result.name}-series.png`);
    if (render(f, linesSvg(title, result.series))) out.push(f);
  }
  return out;
}
