import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inSlices, shimMayHaveExited } from '../src/container/lifecycle/exit-sweep.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-exit-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shimMayHaveExited', () => {
  it('is false for a live process without an exit record, true once it has one or is gone', async () => {
    const p = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => p.once('spawn', r));
    expect(shimMayHaveExited(dir, p.pid!)).toBe(false);
    writeFileSync(join(dir, 'exit.json'), '{}');
    expect(shimMayHaveExited(dir, p.pid!)).toBe(true);
    rmSync(join(dir, 'exit.json'));
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    expect(shimMayHaveExited(dir, p.pid!)).toBe(true);
    expect(shimMayHaveExited(dir, 0)).toBe(true);
  });
});

describe('inSlices', () => {
  it('visits every item in order while timers still run between slices', async () => {
    // ~100 ms of synchronous work in all; done in one go it would hold every timer that long
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const busy = () => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
    };
    // counted, not timed (a loaded CI host stretches gaps): done in one go, no tick would run
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const seen: number[] = [];
    await inSlices(items, async (item) => {
      busy();
      seen.push(item);
    });
    clearInterval(ticker);
    expect(seen).toEqual(items);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});
