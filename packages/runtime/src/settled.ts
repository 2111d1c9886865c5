/**
 * The next link of a serial queue: waits for `prev` to settle either way. A failed step's
 * error belongs to the caller that awaited that step (it has it); the queue keeps the order.
 */
export function afterSettled(prev: Promise<unknown>): Promise<void> {
  return prev.then(
    () => undefined,
    () => undefined,
  );
}
