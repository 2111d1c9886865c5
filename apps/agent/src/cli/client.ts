import { io } from './io.js';
import { connect } from 'node:net';
import { createTRPCClient, createWSClient, TRPCClientError, wsLink, type TRPCClient, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import WebSocket from 'ws';
import type { AppRouter } from '../routers/index.js';
import { CliError } from './errors.js';
import { SHUTDOWN_CLOSE_CODE, SHUTDOWN_MESSAGE } from '../daemon/stopping.js';

export type SkiffClient = TRPCClient<AppRouter>;

export interface AgentAddress {
  display: string;
  wsUrl: string;
  /** where plain HTTP requests go (binary streams: save/load/import/export) */
  http: { socketPath: string } | { host: string; port: number };
  probe: () => Promise<void>;
}

/** SKIFF_HOST: `unix:///path/to.sock` (default /run/skiff/skiff.sock) or `http://127.0.0.1:PORT`. */
export function agentAddress(host = io().env.SKIFF_HOST || 'unix:///run/skiff/skiff.sock'): AgentAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    return {
      display: host,
      wsUrl: `ws+unix://${path}:/trpc`,
      http: { socketPath: path },
      probe: () => probe(() => connect(path)),
    };
  }
  const m = /^(?:https?|tcp|ws):\/\/([^/:]+):(\d+)\/?$/.exec(host);
  if (!m) throw new CliError(`invalid SKIFF_HOST "${host}": use unix:///path/to.sock or http://127.0.0.1:PORT`);
  return {
    display: host,
    wsUrl: `ws://${m[1]}:${m[2]}/trpc`,
    http: { host: m[1]!, port: Number(m[2]) },
    probe: () => probe(() => connect(Number(m[2]), m[1])),
  };
}

function probe(open: () => import('node:net').Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = open();
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', (e) => reject(e));
  });
}

/**
 * One WebSocket carries every call (queries, mutations and the stdio/log/progress
 * subscriptions), over the unix socket or loopback TCP.
 */
export async function connectAgent(): Promise<{ client: SkiffClient; close: () => void }> {
  const callIo = io();
  const addr = agentAddress();
  try {
    await addr.probe();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' ? ' (permission denied: the socket is root-only)' : ' — is `skiff daemon` running?';
    throw new CliError(`cannot connect to the skiff agent at ${addr.display}${hint}`);
  }
  const ws = createWSClient({
    url: addr.wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 500,
    onClose: (cause) => {
      // the agent went away mid-command: nothing sensible to retry for a CLI
      if (!closing) {
        // a stopping agent says so (its close code and reason, daemon/stopping.ts)
        const stopping = cause?.code === SHUTDOWN_CLOSE_CODE && (cause as { reason?: string }).reason === SHUTDOWN_MESSAGE;
        callIo.stderr.write(`skiff: ${stopping ? SHUTDOWN_MESSAGE : `lost the connection to the agent at ${addr.display}`}\n`);
        callIo.exit(125);
      }
    },
  });
  let closing = false;
  // once closed, every call fails at once: a closed wsClient would reconnect for the next
  // one, and a loop of calls (stats, a retry) in a call whose caller left must end
  const closedGuard: TRPCLink<AppRouter> =
    () =>
    ({ next, op }) =>
      observable((observer) => {
        if (closing) return void observer.error(TRPCClientError.from(new Error('the call has ended')));
        return next(op).subscribe(observer);
      });
  const client = createTRPCClient<AppRouter>({ links: [closedGuard, wsLink({ client: ws })] });
  const close = () => {
    closing = true;
    callIo.signal?.removeEventListener('abort', close);
    void ws.close();
  };
  // a call served in the agent whose caller went away: its subscriptions end with the socket
  callIo.signal?.addEventListener('abort', close);
  if (callIo.signal?.aborted) close();
  return { client, close };
}
