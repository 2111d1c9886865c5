/**
 * The agent-wide "shutting down" signal: long-lived streams (CLI calls, followed logs,
 * Docker attach/exec/events) subscribe, and end themselves with a clear message when the
 * agent begins to stop (daemon/shutdown.ts), instead of being cut without a word.
 */
export const SHUTDOWN_MESSAGE = 'the agent is shutting down';

/** WebSocket close code for it: 1001 "going away", as a server that stops sends */
export const SHUTDOWN_CLOSE_CODE = 1001;

const listeners = new Set<() => void>();
let stopping = false;

export function isStopping(): boolean {
  return stopping;
}

/** Runs `end` when the agent begins to stop (at once if it already has); returns the unsubscribe. */
export function onStopping(end: () => void): () => void {
  if (stopping) {
    queueMicrotask(end);
    return () => {};
  }
  listeners.add(end);
  return () => listeners.delete(end);
}

/** Tells every subscribed stream to end; one stream's failure does not keep the others running. */
export function beginStopping(log: (line: string) => void): void {
  if (stopping) return;
  stopping = true;
  const all = [...listeners];
  listeners.clear();
  for (const end of all) {
    try {
      end();
    } catch (e) {
      log(`shutdown: ending a stream failed: ${(e as Error).stack ?? String(e)}`);
    }
  }
}
