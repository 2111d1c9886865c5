import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { currentCall } from '../cli/io.js';
import { messageOf } from '../cli/errors.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'agent' });

/**
 * The agent's policy for an exception nothing caught (a throw in a stream or timer callback,
 * an 'error' event without a listener, a rejection nobody awaited): no API call may take the
 * agent down, so it is logged with what it was doing and counted, and the agent keeps
 * serving. When it happened on behalf of one request (known by the AsyncLocalStorage
 * context of the callback that threw), that request fails: a 500, or its connection is cut.
 * V8 reports a throw inside a microtask (streamx streams, queueMicrotask) only after the
 * microtask's context is gone, so such a fault is logged without its request. Only one of
 * Node's own internal assertions means the process itself is corrupt: then the agent exits
 * 70 for its supervisor to restart it (containers keep running: their shims own them).
 */
export interface RequestScope {
  /** what the request was, for the log: `POST /trpc/containers.copyFrom` */
  readonly what: string;
  /** ends the request with an error (or cuts its connection); called at most once */
  fail(e: unknown): void;
}

const scopes = new AsyncLocalStorage<RequestScope>();
let contained = 0;
let installed = false;

/** runs `fn` (the handling of one request, its callbacks included) inside `scope` */
export function inRequest<T>(scope: RequestScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** a scope for an HTTP request: a 500 when nothing was sent yet, else the connection is cut */
export function httpScope(req: IncomingMessage, res: ServerResponse, label = 'HTTP'): RequestScope {
  let failed = false;
  return {
    what: `${label} ${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)}`,
    fail(e) {
      if (failed) return;
      failed = true;
      req.resume();
      if (res.headersSent || res.writableEnded) return void res.destroy();
      const body = JSON.stringify({ message: `internal error: ${messageOf(e)}` });
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
    },
  };
}

/** a scope for an upgraded connection (WebSocket, hijacked stream): the connection is cut */
export function socketScope(req: IncomingMessage, socket: Duplex, label = 'upgrade'): RequestScope {
  return { what: `${label} ${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)}`, fail: () => void socket.destroy() };
}

/** how many faults were contained to their request since the agent started */
export function containedFaults(): number {
  return contained;
}

const describe = (e: unknown) => (e instanceof Error && e.stack ? e.stack : String(e));

/** Node's own invariants broke: nothing in this process can be trusted any more */
const corrupt = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'ERR_INTERNAL_ASSERTION';

function onFault(e: unknown, kind: 'exception' | 'rejection'): void {
  if (corrupt(e)) {
    log.fatal(`uncaught ${kind} from Node itself, exiting for the supervisor to restart the agent`, { err: e, stack: describe(e) });
    process.exit(70);
  }
  contained++;
  const call = currentCall();
  const scope = scopes.getStore();
  const what = call ? 'an in-agent CLI call' : (scope?.what ?? 'no known request');
  log.error(`uncaught ${kind} in ${what} (contained fault #${contained}; the agent keeps serving)`, { err: e, stack: describe(e) });
  try {
    if (call) {
      call.stderr.write(`skiff: internal error: ${messageOf(e)}\n`);
      call.exit(125);
    } else scope?.fail(e);
  } catch (failErr) {
    log.error('could not fail that request', { err: failErr, stack: describe(failErr) });
  }
}

/** installs the policy once, for the agent's process (and in-agent CLI calls) */
export function containFaults(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (e) => onFault(e, 'exception'));
  process.on('unhandledRejection', (e) => onFault(e, 'rejection'));
}
