'use client';
import { useEffect, useSyncExternalStore } from 'react';
import { errorMessage } from '../lib/errors';

export type ToastKind = 'ok' | 'error';
type Toast = { id: number; kind: ToastKind; message: string };

// a failure stays longer: it is the one a user has to read
const SHOWN_MS: Record<ToastKind, number> = { ok: 5000, error: 12000 };
const MAX_SHOWN = 4;

/**
 * The toasts on screen: a module-level store, so any component (a mutation's callback,
 * a stream's end) can call `toast()` without a provider, and it outlives the page that
 * started the slow operation (a stop finishing after the user left still says so).
 */
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const publish = (next: Toast[]) => {
  toasts = next;
  for (const l of listeners) l();
};

/** shows `message` for a few seconds in the corner (read out politely by screen readers) */
export function toast(message: string, kind: ToastKind = 'ok'): void {
  publish([...toasts, { id: nextId++, kind, message }].slice(-MAX_SHOWN));
}

/**
 * Awaits `work` and says how it ended: `done` (from its result) or "`failed`: the agent's
 * reason". The outcome is passed on unchanged, so the caller's own error display still runs.
 */
export async function toasted<T>(work: Promise<T>, done: string | ((result: T) => string), failed: string): Promise<T> {
  try {
    const result = await work;
    toast(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (e) {
    toast(`${failed}: ${errorMessage(e)}`, 'error');
    throw e;
  }
}

const dismiss = (id: number) => publish(toasts.filter((t) => t.id !== id));
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const EMPTY: Toast[] = [];

/** the corner the toasts show in; mounted once in the layout */
export function Toaster() {
  const shown = useSyncExternalStore(
    subscribe,
    () => toasts,
    () => EMPTY,
  );
  return (
    // one live region that is always in the page (a region added with its text is often not read out);
    // aria-live without role=status, so the pages' own status lines stay the page's one status
    <div aria-live="polite" className="pointer-events-none fixed right-3 bottom-3 z-[60] flex w-80 max-w-[calc(100vw-1.5rem)] flex-col gap-2">
      {shown.map((t) => (
        <ToastItem key={t.id} t={t} />
      ))}
    </div>
  );
}

function ToastItem({ t }: { t: Toast }) {
  useEffect(() => {
    const timer = setTimeout(() => dismiss(t.id), SHOWN_MS[t.kind]);
    return () => clearTimeout(timer);
  }, [t]);
  return (
    <div
      data-testid="toast"
      data-kind={t.kind}
      className={`pointer-events-auto flex items-start gap-2 rounded-lg border p-3 text-sm shadow-lg ${
        t.kind === 'error'
          ? 'border-rose-300 bg-rose-50 text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200'
          : 'border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
      }`}
    >
      <span className="flex-1 break-words">{t.message}</span>
      <button type="button" className="text-xs underline" aria-label="dismiss notification" onClick={() => dismiss(t.id)}>
        ×
      </button>
    </div>
  );
}
