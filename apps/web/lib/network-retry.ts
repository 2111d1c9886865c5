import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter } from '@skiff/agent';
import { isNotFound } from './errors';

/**
 * Calls that the browser dropped on the way, sent once more. Chromium aborts every request
 * in flight when the host's network changes (net::ERR_NETWORK_CHANGED), and on the
 * agent's own host every container start and removal adds or deletes a veth: a dashboard
 * opened there (as with Docker) sees its calls fail with "Failed to fetch" while a bulk
 * action runs. Queries are sent again; mutations only when a second one lands where the
 * first would have left things (a start of a running container and a stop of a stopped
 * one do nothing; a repeated removal that finds the container gone has done its job).
 */
const REPEATABLE_MUTATIONS = new Set(['containers.start', 'containers.stop', 'containers.remove']);
const RETRY_AFTER_MS = 250;

/** no answer at all: the fetch itself failed (a TypeError), no status, no error body */
export function droppedByNetwork(e: unknown): boolean {
  return e instanceof TRPCClientError && e.cause instanceof TypeError && e.data === undefined && e.meta?.response === undefined;
}

export const networkRetryLink: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      let current: Unsubscribable | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const repeatable = op.type === 'query' || (op.type === 'mutation' && REPEATABLE_MUTATIONS.has(op.path));
      const attempt = (retry: boolean) => {
        current = next(op).subscribe({
          next: (v) => observer.next(v),
          error: (err) => {
            if (!retry && repeatable && droppedByNetwork(err)) {
              timer = setTimeout(() => attempt(true), RETRY_AFTER_MS);
              return;
            }
            if (retry && op.path === 'containers.remove' && isNotFound(err)) {
              observer.next({ result: { type: 'data', data: undefined as never } });
              observer.complete();
              return;
            }
            observer.error(err);
          },
          complete: () => observer.complete(),
        });
      };
      attempt(false);
      return () => {
        clearTimeout(timer);
        current?.unsubscribe();
      };
    });
