import { existsSync, unlinkSync } from 'node:fs';
import type { Db } from '@skiff/db';
import type { Runtime } from '@skiff/runtime';
import type { WebSocketServer } from 'ws';
import { flushAudit } from '../auth/audit-log.js';
import type { SessionRegistry } from '../sessions.js';
import type { ConnectionTracker } from './connections.js';
import { announceStop, runSteps, SHUTDOWN_GRACE_MS, type Log, type ShutdownStep } from './shutdown.js';
import { SHUTDOWN_CLOSE_CODE, SHUTDOWN_MESSAGE } from './stopping.js';

export interface DaemonParts {
  connections: ConnectionTracker;
  wsServers: WebSocketServer[];
  sessions: SessionRegistry;
  runtime: Runtime;
  db: Db;
  /** the unix socket files to remove (the Docker API's goes with its listener, when it made it) */
  socketFiles: string[];
  /** listeners of the agent's own (revocation hooks) that must not outlive it */
  unsubscribe: () => void;
  /** the apps' reverse proxy: stops accepting with the agent's listeners, drains beside its connections */
  proxy?: { stopAccepting(): void; close(graceMs?: number): Promise<void> };

  /** the app service: its running deploys are cancelled (the next start fails their rows) */
  apps?: { close(): Promise<void> };
  /** the certificate store: its renewal timer and running orders stop (a half order is redone) */
  certs?: { close(): Promise<void> };
}

/**
 * The agent's stop, in order: tell the streams (each ends itself with a message), stop
 * accepting, close the WebSockets with a reason, then give connections the grace to go
 * before they are destroyed, then the runtime (containers keep running), the audit log and
 * the database. Worst case ~8.5 s, under the 10 s budget.
 */
export function daemonStopSteps(p: DaemonParts, log: Log, graceMs = SHUTDOWN_GRACE_MS): ShutdownStep[] {
  return [
    announceStop(log),
    {
      name: 'closing the listeners',
      timeoutMs: 500,
      run: () => {
        p.unsubscribe();
        p.connections.stopAccepting(log);
        p.proxy?.stopAccepting();
        for (const f of p.socketFiles) if (existsSync(f)) unlinkSync(f);
      },
    },
    {
      name: 'closing the WebSockets and stdio sessions',
      timeoutMs: 500,
      run: () => {
        p.sessions.closeAll();
        for (const w of p.wsServers) {
          // tRPC clients (the CLI, the dashboard) see 1001 and why; their subscriptions end with it
          for (const c of w.clients) c.close(SHUTDOWN_CLOSE_CODE, SHUTDOWN_MESSAGE);
          w.close();
        }
      },
    },
    {
      name: 'draining connections',
      timeoutMs: graceMs + 1_000,
      run: async () => {
        // the proxy's requests and tunnels get the same grace, at the same time
        const [destroyed] = await Promise.all([p.connections.drain(graceMs), p.proxy?.close(graceMs)]);
        if (destroyed) log(`shutdown: destroyed ${destroyed} connection(s) that did not close within ${graceMs} ms (a client not reading, or gone)`);
      },
    },
    ...(p.apps ? [{ name: 'cancelling deploys', timeoutMs: 1_000, run: () => p.apps?.close() }] : []),
    ...(p.certs ? [{ name: 'stopping certificate renewal', timeoutMs: 500, run: () => p.certs?.close() }] : []),
    // containers keep running: their shims own them
    { name: 'closing the runtime', timeoutMs: 2_000, run: () => p.runtime.close() },
    { name: 'flushing the audit log', timeoutMs: 1_000, run: () => flushAudit(p.db) },
    { name: 'closing the database', timeoutMs: 1_000, run: () => p.db.$disconnect() },
  ];
}

/** Runs the steps; the caller exits afterwards (a step that failed was logged, and the rest ran). */
export async function stopDaemon(p: DaemonParts, log: Log): Promise<void> {
  await runSteps(daemonStopSteps(p, log), log);
}
