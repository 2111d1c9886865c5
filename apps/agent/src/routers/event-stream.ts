/**
 * Runs `work`, yielding the events it emits as they come, then its result; its failure is
 * thrown after the events that led to it were delivered. The queue keeps the newest
 * `limit` events if the client reads slower than they come.
 */
export async function* eventStream<E, R>(work: (emit: (e: E) => void) => Promise<R>, limit = 1000): AsyncGenerator<{ event: E } | { result: R }> {
  const queue: E[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  let result: R | undefined;
  void work((e) => {
    queue.push(e);
    if (queue.length > limit) queue.splice(0, queue.length - limit);
    wake?.();
  })
    .then(
      (r) => (result = r),
      (e) => (failure = e ?? new Error('failed')),
    )
    .finally(() => {
      done = true;
      wake?.();
    });
  for (;;) {
    while (queue.length) yield { event: queue.shift()! };
    if (done) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  if (failure !== undefined) throw failure;
  yield { result: result as R };
}
