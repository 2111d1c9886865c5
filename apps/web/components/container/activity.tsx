'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import type { RuntimeEvent } from '@skiff/runtime/types';
import { useTRPC } from '../../trpc/react';

const KEEP = 8;
const SIGNALS: Record<string, string> = { '1': 'SIGHUP', '2': 'SIGINT', '9': 'SIGKILL', '15': 'SIGTERM' };

/** "kill (SIGTERM)", "die (exit 137)": an event as a person reads it */
export function describeEvent(e: Pick<RuntimeEvent, 'action' | 'attributes'>): string {
  const { signal, exitCode } = e.attributes;
  if (e.action === 'kill' && signal) return `kill (${SIGNALS[signal] ?? `signal ${signal}`})`;
  if (e.action === 'die' && exitCode !== undefined) return `die (exit ${exitCode})`;
  return e.action;
}

// signals a process is sent to reload or reopen its logs, not to stop (SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH)
const NOT_A_STOP = new Set(['1', '10', '12', '28']);

/** the change under way, from the last event, while the container has not got there yet */
function inProgress(last: RuntimeEvent | undefined, now: number): string {
  if (last?.action !== 'kill' || NOT_A_STOP.has(last.attributes.signal ?? '')) return '';
  const waited = Math.max(0, Math.round((now - last.time / 1e6) / 1000));
  const signal = SIGNALS[last.attributes.signal ?? ''] ?? `signal ${last.attributes.signal}`;
  return `Stopping: ${signal} sent ${waited} s ago, waiting for the process to exit…`;
}

/**
 * This container's events since the page opened (its own filtered subscription to the
 * runtime's stream), newest first, and what is under way: a stop that waits out its
 * timeout shows the signal sent and the seconds since, then the die and stop as they land.
 */
export function Activity({ id, running }: { id: string; running: boolean }) {
  const [events, setEvents] = useState<RuntimeEvent[]>([]);
  const [now, setNow] = useState(Date.now());
  // biome-ignore lint/correctness/useExhaustiveDependencies: another container starts with none
  useEffect(() => setEvents([]), [id]);
  useSubscription(
    useTRPC().system.events.subscriptionOptions(
      { type: 'container', filters: { container: [id] } },
      {
        onData: (e) => setEvents((xs) => [e, ...xs].slice(0, KEEP)),
        onError: (err) => console.warn('container activity stream failed; the page still refreshes on its next load', err),
      },
    ),
  );
  const busy = running ? inProgress(events[0], now) : '';
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [busy]);
  if (!events.length) return null;
  return (
    <section aria-label="activity" className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="activity">
      {busy && (
        <span className="flex items-center gap-1 font-medium text-amber-700 dark:text-amber-300" data-testid="in-progress">
          <span className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden />
          {busy}
        </span>
      )}
      <ol className="flex flex-wrap gap-x-3" aria-label="recent events">
        {events.map((e, i) => (
          <li key={`${e.time}-${i}`} data-testid="activity-event">
            <time className="text-zinc-500" dateTime={new Date(e.time / 1e6).toISOString()}>
              {new Date(e.time / 1e6).toLocaleTimeString()}
            </time>{' '}
            {describeEvent(e)}
          </li>
        ))}
      </ol>
    </section>
  );
}
