'use client';
import { useCallback, useSyncExternalStore } from 'react';

/** how a change enters the history: `push` for a place worth going back to (a tab), `replace` for typing and toggles */
export type HistoryMode = 'push' | 'replace';

// history.pushState/replaceState fire no event: the setter tells the hooks itself
const listeners = new Set<() => void>();
function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  window.addEventListener('popstate', onChange);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener('popstate', onChange);
  };
}
const search = () => window.location.search;
// prerendered HTML knows no query: the first client render after hydration reads the real one
const noSearch = () => '';

/**
 * One search parameter of the page's URL as React state, so a refresh, a shared link or the
 * back button bring the same view back. Read straight from location (a store React re-reads
 * synchronously, so a controlled input keeps up with typing; useSearchParams updates in a
 * transition and needs a Suspense boundary in every static page). Written through
 * history.pushState/replaceState past Next's router (see below), so useSearchParams does not
 * see these parameters: read them with this hook. The fallback is left out of the URL.
 */
export function useUrlState(key: string, fallback: string): [string, (value: string, mode?: HistoryMode) => void] {
  const value = new URLSearchParams(useSyncExternalStore(subscribe, search, noSearch)).get(key) ?? fallback;
  const set = useCallback(
    (next: string, mode: HistoryMode = 'replace') => {
      const params = new URLSearchParams(window.location.search);
      if (next === fallback) params.delete(key);
      else params.set(key, next);
      const qs = params.toString();
      const url = `${window.location.pathname}${qs ? `?${qs}` : ''}${window.location.hash}`;
      if (url === `${window.location.pathname}${window.location.search}${window.location.hash}`) return;
      // Next's router patches these to replay the change through a router transition, whose own
      // history write could land after a later change of ours and put an older URL back (three
      // quick changes lost one). An entry marked __NA passes through untouched; it keeps Next's
      // state of the entry, so back and forward still restore the page from it.
      const state = { ...(window.history.state ?? {}), __NA: true };
      if (mode === 'push') window.history.pushState(state, '', url);
      else window.history.replaceState(state, '', url);
      for (const l of listeners) l();
    },
    [key, fallback],
  );
  return [value, set];
}

/** a yes/no search parameter ("1"/"0") on top of useUrlState */
export function useUrlFlag(key: string, fallback: boolean): [boolean, (value: boolean) => void] {
  const [raw, set] = useUrlState(key, fallback ? '1' : '0');
  return [raw === '1', useCallback((v: boolean) => set(v ? '1' : '0'), [set])];
}
