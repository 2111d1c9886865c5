import type { ChildProcess } from 'node:child_process';
import { logger } from '@skiff/logger';

/**
 * Asks a child to go (its stdin's end, then SIGTERM) and SIGKILLs it if it is still there
 * after the grace: a child that catches SIGTERM must not hold the agent's stop. Resolves
 * once it has exited.
 */
export function stopChild(
  c: ChildProcess,
  graceMs: number,
  what: string,
  log: (line: string) => void = (l) => logger.warn(l, { component: 'agent' }),
): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    let killer: NodeJS.Timeout | undefined;
    c.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    c.stdin?.end();
    c.kill('SIGTERM');
    killer = setTimeout(() => {
      log(`${what} (pid ${c.pid}) did not stop within ${graceMs} ms of SIGTERM; killing it`);
      c.kill('SIGKILL');
    }, graceMs);
  });
}
