'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef } from 'react';
import { useSession } from '../components/use-auth';
import { isRuntimeEventType, pathsForEvents, queryKeyOf, type RuntimeEventType } from './invalidation';
import { useTRPC } from './react';

/** the recent-events list the home page shows keeps this many */
export const RECENT_EVENTS = 20;
// a burst (a bulk stop, a stack deploy, 1000 containers) collapses into one refetch per list…
const QUIET_MS = 250;
// …but a long burst still shows progress now and then
const MAX_WAIT_MS = 2000;

/**
 * One subscription to the runtime's event stream for the whole tab, while signed in: each
 * event marks the lists it changes stale (only those on screen refetch) and lands at the top
 * of the home page's recent events. A stream that restarts (the WebSocket reconnected) may
 * have missed events, so everything it covers is refetched then.
 */
export function LiveEvents() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { me } = useSession();
  const pending = useRef(new Set<RuntimeEventType>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const firstAt = useRef(0);
  const starts = useRef(0);

  const flush = () => {
    clearTimeout(timer.current);
    timer.current = undefined;
    firstAt.current = 0;
    const types = [...pending.current];
    pending.current.clear();
    for (const path of pathsForEvents(types)) void queryClient.invalidateQueries({ queryKey: queryKeyOf(path) });
  };
  const schedule = (type: RuntimeEventType) => {
    pending.current.add(type);
    const now = Date.now();
    firstAt.current ||= now;
    clearTimeout(timer.current);
    timer.current = setTimeout(flush, Math.max(0, Math.min(QUIET_MS, firstAt.current + MAX_WAIT_MS - now)));
  };
  useEffect(() => () => clearTimeout(timer.current), []);

  useSubscription(
    trpc.system.events.subscriptionOptions(undefined, {
      enabled: !!me,
      onStarted: () => {
        if (starts.current++ === 0) return;
        for (const t of ['container', 'image', 'volume', 'network'] as const) pending.current.add(t);
        flush();
      },
      onData: (e) => {
        queryClient.setQueryData(trpc.system.recentEvents.queryKey({ limit: RECENT_EVENTS }), (xs) => (xs ? [e, ...xs].slice(0, RECENT_EVENTS) : xs));
        if (isRuntimeEventType(e.type)) schedule(e.type);
      },
      onError: (err) => console.warn('runtime event stream failed; lists refresh on their next load', err),
    }),
  );
  return null;
}
