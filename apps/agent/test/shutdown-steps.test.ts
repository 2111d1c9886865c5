import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stopChild } from '../src/daemon/child-stop.js';
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

  it('a child that catches SIGTERM and ignores its stdin is killed after the grace', async () => {
    const c = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise((r) => c.stdout.once('data', r));
    const lines: string[] = [];
    const t0 = Date.now();
    await stopChild(c, 500, 'the test child', (l) => lines.push(l));
    expect(c.signalCode).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(lines).toEqual([`the test child (pid ${c.pid}) did not stop within 500 ms of SIGTERM; killing it`]);
  });

  it('a child that goes on its stdin end is not killed', async () => {
    const c = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); process.stdin.on('end', () => process.exit(0)).resume(); console.log('up')"], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise((r) => c.stdout.once('data', r));
    const lines: string[] = [];
    await stopChild(c, 2_000, 'the test child', (l) => lines.push(l));
    expect(c.exitCode).toBe(0);
    expect(lines).toEqual([]);
  });
});
