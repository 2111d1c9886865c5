import type { RuntimeEvent } from '@skiff/runtime';
import type { EventBackend } from './backend.js';
import { labelMatches, queryFilters, startJsonStream, timeNs } from './query.js';
import type { Route } from './route.js';
import { onStopping } from '../daemon/stopping.js';

const KEPT = 1000;
const logs = new WeakMap<EventBackend, RuntimeEvent[]>();

/**
 * Keeps the runtime's last events so `docker events --since` can replay them (dockerd keeps
 * 1024 too). Called once when the API starts.
 */
export function recordEvents(runtime: EventBackend): void {
  if (logs.has(runtime)) return;
  const log: RuntimeEvent[] = [];
  logs.set(runtime, log);
  runtime.onEvent((e) => {
    log.push(e);
    if (log.length > KEPT) log.splice(0, log.length - KEPT);
  });
}

/** Docker's event message: the current fields and the deprecated status/id/from */
function dockerEvent(e: RuntimeEvent) {
  const legacy = e.type === 'container' ? { status: e.action, id: e.id, from: e.attributes.image ?? '' } : e.type === 'image' ? { status: e.action, id: e.attributes.name ?? e.id } : {};
  return { ...legacy, Type: e.type, Action: e.action, Actor: { ID: e.id, Attributes: e.attributes }, scope: 'local', time: Math.floor(e.time / 1e9), timeNano: e.time };
}

function eventFilter(f: Record<string, string[]>): (e: RuntimeEvent) => boolean {
  const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || f[k]!.some(test);
  const named = (e: RuntimeEvent, v: string) => e.id === v || (v.length >= 3 && e.id.startsWith(v)) || e.attributes.name === v || e.attributes.name === v.replace(/^\//, '');
  return (e) =>
    any('type', (v) => v === e.type) &&
    any('event', (v) => v === e.action || e.action.startsWith(`${v}:`)) &&
    (!f.label?.length || f.label.every((l) => labelMatches(e.attributes, l))) &&
    (!f.container?.length || (e.type === 'container' && f.container.some((v) => named(e, v)))) &&
    (!f.image?.length || f.image.some((v) => (e.type === 'image' ? named(e, v) : e.attributes.image === v))) &&
    (!f.volume?.length || (e.type === 'volume' && f.volume.some((v) => named(e, v)))) &&
    (!f.network?.length || (e.type === 'network' && f.network.some((v) => named(e, v))));
}

/** `GET /events`: the kept events in the window asked for, then live ones until the client or `until` ends it */
export const EVENT_ROUTES: Route<EventBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/events$/,
    async handle({ res, url, runtime }) {
      const since = timeNs(url.searchParams.get('since'));
      const until = timeNs(url.searchParams.get('until'));
      const match = eventFilter(queryFilters(url));
      const inWindow = (e: RuntimeEvent) => (since === undefined || e.time >= since) && (until === undefined || e.time <= until);
      const line = startJsonStream(res);
      const live: RuntimeEvent[] = [];
      let wake: (() => void) | undefined;
      // subscribe before the replay, so nothing falls between the two
      const off = runtime.onEvent((e) => {
        live.push(e);
        if (live.length > 10_000) live.shift(); // a client that stopped reading loses the oldest
        wake?.();
      });
      let closed = false;
      const end = () => {
        closed = true;
        wake?.();
      };
      res.once('close', end);
      // the agent stopping ends the stream cleanly (a client that stopped reading is cut later)
      const offStopping = onStopping(end);
      // (a bound beyond setTimeout's range ends at the first event after it instead)
      const left = until === undefined ? Infinity : Math.max(0, until / 1e6 - Date.now());
      const timer =
        left < 2 ** 31 - 1
          ? setTimeout(() => {
              closed = true;
              wake?.();
            }, left)
          : undefined;
      try {
        // like dockerd: either bound replays the kept events that fall inside the window
        const replay = since !== undefined || until !== undefined ? (logs.get(runtime) ?? []).slice() : [];
        const replayed = new Set(replay);
        for (const e of replay) if (inWindow(e) && match(e)) line(dockerEvent(e));
        while (!closed) {
          while (live.length) {
            const e = live.shift()!;
            if (replayed.has(e)) continue;
            if (inWindow(e) && match(e)) line(dockerEvent(e));
          }
          if (until !== undefined && Date.now() * 1e6 > until) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      } finally {
        off();
        offStopping();
        clearTimeout(timer);
      }
      res.end();
    },
  },
];
