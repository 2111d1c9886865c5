import { beginStopping } from './stopping.js';
import { logger } from '@skiff/logger';

const shutdownLog = logger.child({ component: 'shutdown' });

/**
 * The agent's stop, bounded: on SIGTERM/SIGINT it must be gone within SHUTDOWN_BUDGET_MS
 * whatever its clients do (a suspended `skiff logs -f`, a peer that vanished, a dashboard
 * child that ignores SIGTERM). The steps (server.ts lists them) run in order, each with
 * its own timeout, a failure logged and the next step run anyway; a deadline just under
 * the budget exits regardless. Containers keep running: their shims own them.
 */
export const SHUTDOWN_BUDGET_MS = 10_000;
/** how long streams and connections get to close by themselves before they are destroyed */
export const SHUTDOWN_GRACE_MS = 3_000;
/** past this the process exits whatever is still running (stdout that will not drain, a hung step) */
const HARD_DEADLINE_MS = SHUTDOWN_BUDGET_MS - 1_000;

export interface ShutdownStep {
  name: string;
  /** the step's share of the budget; past it the next step runs */
  timeoutMs: number;
  run(): unknown;
}

export type Log = (line: string) => void;

/** the shutdown's progress and failures, to the agent's log */
export const logStderr: Log = (line) => shutdownLog.info(line);

/** Runs the steps in order; resolves with whether every one finished without error in its time. */
export async function runSteps(steps: ShutdownStep[], log: Log): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), step.timeoutMs)));
    try {
      const r = await Promise.race([Promise.resolve().then(() => step.run()), timedOut]);
      if (r === 'timeout') {
        clean = false;
        log(`shutdown: ${step.name} did not finish within ${step.timeoutMs} ms; going on`);
      }
    } catch (e) {
      clean = false;
      log(`shutdown: ${step.name} failed: ${(e as Error).stack ?? String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

export interface StopHooks {
  /** the ordered, bounded stop (RunningDaemon.close) */
  stop(): Promise<void>;
  log?: Log;
}

/**
 * Waits for SIGTERM or SIGINT, then stops. A second signal during the stop exits at once
 * (what is left undone is the audit flush and the database's close; containers still run).
 * Resolves with the exit code once the stop finished; the hard deadline exits by itself.
 */
export function stopOnSignals(hooks: StopHooks): Promise<number> {
  const log = hooks.log ?? logStderr;
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      process.on('SIGTERM', again);
      process.on('SIGINT', again);
      log(`${signal}: stopping (containers keep running; at most ${SHUTDOWN_BUDGET_MS / 1000} s)`);
      // not unref'd: the process must leave by this time even if nothing else keeps it up
      setTimeout(() => {
        log(`shutdown: still running after ${HARD_DEADLINE_MS} ms; exiting now`);
        process.exit(1);
      }, HARD_DEADLINE_MS);
      const started = Date.now();
      hooks.stop().then(
        () => {
          log(`stopped in ${Date.now() - started} ms`);
          resolve(0);
        },
        (e: Error) => {
          log(`shutdown: ${e.stack ?? String(e)}`);
          resolve(1);
        },
      );
    };
    const again = (signal: NodeJS.Signals) => {
      log(`${signal} again: exiting at once (containers keep running)`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}

/** The first step of every stop: streams are told, so their clients hear why before the cut. */
export function announceStop(log: Log): ShutdownStep {
  return { name: 'telling streams the agent stops', timeoutMs: 500, run: () => beginStopping(log) };
}
