import type { Writable } from 'node:stream';

/**
 * Resolves once `out` can take more ('drain') or can take nothing any more ('close'): a
 * response whose client went away never drains, and waiting for that alone held the
 * stream's source (a followed log's file and watcher) open forever (issue 31). Both
 * listeners go when either fires.
 */
export function writableAgain(out: Writable): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
