import { describe, expect, it } from 'vitest';
import { runSteps } from '../src/daemon/shutdown.js';

/** The pieces of the agent's bounded stop (shutdown.test.ts drives the whole of it). */
describe('the stop steps', () => {
  it('a failed step and a hung one are logged with their names, and the next steps still run', async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const t0 = Date.now();
    const clean = await runSteps(
      [
        { name: 'closing the runtime', timeoutMs: 1_000, run: () => Promise.reject(new Error('shim socket gone')) },
        { name: 'flushing the audit log', timeoutMs: 300, run: () => new Promise(() => {}) },
        { name: 'closing the database', timeoutMs: 1_000, run: () => void ran.push('db') },
      ],
      (l) => lines.push(l),
    );
    expect(clean).toBe(false);
    expect(ran).toEqual(['db']);
    expect(lines[0]).toMatch(/^shutdown: closing the runtime failed: Error: shim socket gone/);
    expect(lines[1]).toBe('shutdown: flushing the audit log did not finish within 300 ms; going on');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
