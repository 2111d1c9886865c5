'use client';
import type { PullProgress } from '@skiff/runtime';
import type { Client } from '../../lib/trpc';

type Out<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

export type ImageRow = Out<Client['images']['list']['query']>[number];
export type ImageHistory = Out<Client['images']['history']['query']>;
/** what images.pull streams: per-layer progress, then the pulled image */
export type PullEvent = { progress: PullProgress } | { image: Out<Client['images']['inspect']['query']> };
export type VolumeRow = Out<Client['volumes']['list']['query']>[number];
export type NetworkRow = Out<Client['networks']['list']['query']>[number];
export type NetworkInspect = Out<Client['networks']['inspect']['query']>;
export type ContainerRow = Out<Client['containers']['list']['query']>[number];

export function ErrorAlert({ message, onClose }: { message: string; onClose?: () => void }) {
  if (!message) return null;
  return (
    <p role="alert" className="flex items-start gap-2 rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
      <span className="flex-1 break-words">{message}</span>
      {onClose && (
        <button type="button" className="text-xs underline" aria-label="dismiss error" onClick={onClose}>
          dismiss
        </button>
      )}
    </p>
  );
}

export function Notice({ message, testId }: { message: string; testId?: string }) {
  if (!message) return null;
  return (
    <p role="status" data-testid={testId} className="rounded bg-emerald-50 p-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
      {message}
    </p>
  );
}

export function Labels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (!entries.length) return <span className="text-zinc-500">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {entries.map(([k, v]) => (
        <span key={k} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800" title={`${k}=${v}`}>
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** "a=1, b=2" or one per line → { a: '1', b: '2' }; throws on an entry without a key */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const s = part.trim();
    if (!s) continue;
    const eq = s.indexOf('=');
    const k = (eq < 0 ? s : s.slice(0, eq)).trim();
    if (!k) throw new Error(`label "${s}" has no key`);
    out[k] = eq < 0 ? '' : s.slice(eq + 1).trim();
  }
  return out;
}

export const TABLE = 'w-full min-w-[40rem] text-left text-sm';
export const THEAD = 'border-b border-zinc-200 text-xs text-zinc-500 dark:border-zinc-800';
export const ROW = 'border-t border-zinc-100 align-top dark:border-zinc-800';
/**
 * Added to TABLE: below 640 px each row becomes a card (cells flow and wrap, the first and
 * last cell, the name and the buttons, take a line each), so a row's buttons stay on a
 * phone's screen instead of scrolling off to the right.
 */
export const PHONE_CARDS =
  'max-sm:block max-sm:min-w-0 max-sm:[&_thead]:hidden max-sm:[&_tbody]:block max-sm:[&_tr]:flex max-sm:[&_tr]:flex-wrap max-sm:[&_tr]:items-center max-sm:[&_tr]:gap-x-3 max-sm:[&_tr]:py-2 max-sm:[&_td]:block max-sm:[&_td:first-child]:w-full max-sm:[&_td:last-child]:w-full';

/** container id → its name without the leading slash */
export function containerNames(list: ContainerRow[]): Map<string, string> {
  return new Map(list.map((c) => [c.id, c.names[0]?.replace(/^\//, '') ?? c.id.slice(0, 12)]));
}
