import type { RuntimeEvent } from '@skiff/runtime';
import type { EventBackend } from './backend.js';
import { DockerApiError } from './http.js';
import { queryFilters, startJsonStream } from './query.js';
import type { Route } from './route.js';
import { onStopping } from '../daemon/stopping.js';
import { eventFilter } from '../event-filter.js';
import { eventTimeNs, InvalidEventTime } from '../event-query.js';
import { dockerEvent } from '../docker-json/event.js';

/** `since` / `until`: what the docker CLI sends (unix seconds), and durations and dates as dockerd also takes them */
function timeParam(v: string | null): number | undefined {
  try {
    return eventTimeNs(v);
  } catch (e) {
    if (e instanceof InvalidEventTime) throw new DockerApiError(400, e.message);
    throw e;
  }
}

/** `GET /events`: the kept events in the window asked for, then live ones until the client or `until` ends it */
export const EVENT_ROUTES: Route<EventBackend>[] = [
  {
    method: 'GET',
    pattern: /^\/events$/,
    async handle({ res, url, runtime }) {
      const since = timeParam(url.searchParams.get('since'));
      const until = timeParam(url.searchParams.get('until'));
      const match = eventFilter(queryFilters(url));
      const inWindow = (e: RuntimeEvent) => (since === undefined || e.time >= since) && (until === undefined || e.time <= until);
      const line = startJsonStream(res);
      const live: RuntimeEvent[] = [];
      let wake: (() => void) | undefined;
      // like dockerd: either bound replays the kept events that fall inside the window. The
      // replay comes through the request's runtime, so a caller below admin gets what its guard lets through
      const off = runtime.onEvent(
        (e) => {
          live.push(e);
          if (live.length > 10_000) live.shift(); // a client that stopped reading loses the oldest
          wake?.();
        },
        { replay: since !== undefined || until !== undefined },
      );
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
        while (!closed) {
          while (live.length) {
            const e = live.shift()!;
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
