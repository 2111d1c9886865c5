import { runDaemonAction } from './cleanup.js';
import { parseDaemonOptions } from './options.js';
import { startDaemon } from './server.js';
import { containFaults } from './fault-containment.js';
import { collectWhenIdle } from './idle-gc.js';
import { privateLogFiles } from './private-files.js';
import { RotatingLog, writeOutputTo } from './log-file.js';
import { stopOnSignals } from './shutdown.js';
import { setLogLevel } from '@skiff/logger';

/** `skiff daemon`: runs until SIGTERM/SIGINT; containers keep running after it stops. */
export async function runDaemon(argv: string[]): Promise<number> {
  const opts = parseDaemonOptions(argv);
  setLogLevel(opts.logLevel);
  const done = await runDaemonAction(opts);
  if (done !== undefined) return done;
  if (process.getuid?.() !== 0) throw new Error('skiff daemon must run as root');
  // a fault inside one request fails that request, not the agent (fault-containment.ts)
  containFaults();
  // the log gets the one-time setup token: a file the agent writes to is root's alone
  privateLogFiles();
  if (opts.logFile) writeOutputTo(new RotatingLog(opts.logFile));
  const daemon = await startDaemon(opts);
  const where = [`unix://${opts.socket}`, opts.http ? `http://${opts.http.host}:${opts.http.port}` : undefined].filter(Boolean).join(' and ');
  process.stdout.write(`skiff agent ready on ${where} (root ${opts.root})\n`);
  // what a burst of work left is given back once the agent goes quiet (bin/skiff exposes gc)
  collectWhenIdle({ gc: (globalThis as { gc?: () => void }).gc });
  // SIGTERM/SIGINT: a bounded stop (shutdown.ts), a second one exits at once
  return stopOnSignals({ stop: () => daemon.close() });
}
