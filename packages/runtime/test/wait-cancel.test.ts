import { getEventListeners } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestRuntime, useTestRuntime } from './helpers.js';

const env = useTestRuntime();
let t: TestRuntime;
let image: string;
beforeAll(() => {
  ({ t, image } = env);
});

/** the waiters the container manager holds for one container (its context is private) */
const waitersOf = (id: string): number => {
  const ctx = (t.containerManager as unknown as { ctx: { exitWaiters: Map<string, unknown[]>; removeWaiters: Map<string, unknown[]> } }).ctx;
  return (ctx.exitWaiters.get(id)?.length ?? 0) + (ctx.removeWaiters.get(id)?.length ?? 0);
};

describe('wait', () => {
  it('leaves no waiter or abort listener behind when cancelled or answered', async () => {
    const { id } = await t.rt.containers.run({ image, cmd: ['sleep', '30'] });
    try {
      // a client polling wait on a long-running container (docker wait with a timeout, a UI)
      for (let i = 0; i < 200; i++) {
        const ac = new AbortController();
        const w = t.rt.containers.wait(id, { signal: ac.signal, condition: i % 2 ? 'removed' : 'next-exit' });
        ac.abort();
        await expect(w).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect(waitersOf(id)).toBe(0);
      // an already-aborted signal is refused at once, nothing registered
      await expect(t.rt.containers.wait(id, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(waitersOf(id)).toBe(0);
      // an answered wait takes its abort listener off the caller's signal
      const ac = new AbortController();
      const w = t.rt.containers.wait(id, { signal: ac.signal });
      await t.rt.containers.kill(id, 'KILL');
      expect((await w).statusCode).toBe(137);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    } finally {
      await t.rt.containers.remove(id, { force: true });
    }
  });
});
