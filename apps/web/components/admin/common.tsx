'use client';
import type { ReactNode } from 'react';
import { ago } from '../../lib/format';
import { ScrollRegion } from '../scroll-region';

/** What a non-admin sees on an admin page (the API refuses them too). */
export function AdminsOnly({ what }: { what?: string }) {
  return (
    <p className="card text-sm text-zinc-600 dark:text-zinc-400" data-testid="admins-only">
      Admins only{what ? ` — ${what}` : ''}.
    </p>
  );
}

/** An error from the agent, inline. */
export function ErrorAlert({ error }: { error: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="rounded bg-rose-100 p-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
      {error}
    </p>
  );
}

/** A table that scrolls sideways instead of overflowing a tablet-wide screen (focusable, so a keyboard can scroll it). */
export function TableCard({ children, label }: { children: ReactNode; label: string }) {
  return (
    <ScrollRegion className="card p-0" label={label}>
      <table className="w-full min-w-[40rem] text-left text-sm" aria-label={label}>
        {children}
      </table>
    </ScrollRegion>
  );
}

/** "3 minutes ago" with the exact time as a tooltip; "—" for none */
export function When({ t, never = '—' }: { t: string | null | undefined; never?: string }) {
  if (!t) return <span className="text-zinc-500">{never}</span>;
  return (
    <time dateTime={t} title={new Date(t).toLocaleString()}>
      {agoOrIn(t)}
    </time>
  );
}

/** past times as "x ago", future ones (expiry) as "in x" */
function agoOrIn(t: string): string {
  const ms = Date.parse(t);
  if (ms <= Date.now()) return ago(t);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const s = Math.round((ms - Date.now()) / 1000);
  if (s < 3600) return rtf.format(Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}
