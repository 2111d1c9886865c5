/**
 * Waits for the next event of a stream served to a subscriber: resolves when `arm`'s wake
 * is called or `signal` aborts, and removes its abort listener either way. A listener added
 * per wait and left on a subscription's signal piled up with every event of a long stream
 * (the dashboard's events, an exec's output) until Node warned of a leak (issue 31).
 */
export function wakeOrAbort(signal: AbortSignal | undefined, arm: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    arm(done);
  });
}
