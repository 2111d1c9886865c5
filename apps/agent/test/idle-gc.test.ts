import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectWhenIdle } from '../src/daemon/idle-gc.js';

// V8's real gc(), as bin/skiff's --expose-gc gives the agent
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ms` of CPU on this thread */
const spin = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

describe('the collection once the agent goes quiet', () => {
  it('gives back what a burst left, once, when the burst is over', async () => {
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let calls = 0;
    const stop = collectWhenIdle({
      gc: () => {
        calls++;
        gc();
      },
      periodMs: 300,
      quietCpuMs: 100,
    });
    try {
      // a burst: buffers that become garbage at once (a pull's, a served file's) and CPU
      let junk: ArrayBuffer[] | undefined = Array.from({ length: 24 }, () => new ArrayBuffer(1 << 20));
      // kept through two collections, so they sit in the old generation, which only a full collection frees
      gc();
      gc();
      expect(junk).toHaveLength(24);
      junk = undefined;
      spin(400);
      expect(process.memoryUsage().arrayBuffers - base).toBeGreaterThan(20 * (1 << 20));
      // quiet: nothing allocates, so without the collection the 24 MiB would stay
      const until = Date.now() + 10_000;
      while (process.memoryUsage().arrayBuffers - base > 4 * (1 << 20) && Date.now() < until) await sleep(100);
      expect(process.memoryUsage().arrayBuffers - base).toBeLessThan(4 * (1 << 20));
      // still quiet: no second collection without a new burst
      const after = calls;
      await sleep(1_000);
      expect(calls).toBe(after);
    } finally {
      stop();
    }
  }, 20_000);

  it('does nothing without gc()', () => {
    expect(() => collectWhenIdle({ gc: undefined })()).not.toThrow();
  });
});
