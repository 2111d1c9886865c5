import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'health' });

/** What the agent needs before it can serve: containers re-adopted, the database open. */
export type ReadinessPart = 'runtime' | 'database';

const WAITING: Record<ReadinessPart, string> = {
  runtime: 'starting: the runtime is re-adopting containers',
  database: 'starting: the database is not open yet',
};

/** a readiness probe must answer quickly; a database that takes longer is reported not ready */
const DB_CHECK_MS = 2000;

/**
 * `GET /healthz` (liveness: the event loop answers) and `GET /readyz` (readiness) for a
 * service manager or load balancer. Unauthenticated on purpose, so they say nothing beyond
 * the state: no version, no counts, no paths, no error messages.
 */
export class Health {
  private readonly missing = new Set<ReadinessPart>(['runtime', 'database']);
  private stopping = false;
  private dbCheck?: () => Promise<unknown>;

  /** a part is up; the database's `check` runs at every /readyz (a real query, not a flag) */
  ready(part: ReadinessPart, check?: () => Promise<unknown>): void {
    this.missing.delete(part);
    if (part === 'database') this.dbCheck = check;
  }

  /** the agent is shutting down: /readyz says so from now on */
  stop(): void {
    this.stopping = true;
  }

  /** true when the request was a health check and has been answered */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = req.url?.split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { status: 'error', reason: 'method not allowed' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/healthz') send(res, 200, { status: 'ok' });
    else void this.readiness().then(([code, body]) => send(res, code, body));
    return true;
  }

  private async readiness(): Promise<[number, Record<string, string>]> {
    if (this.stopping) return [503, { status: 'not ready', reason: 'shutting down' }];
    const [part] = this.missing;
    if (part) return [503, { status: 'not ready', reason: WAITING[part] }];
    if (this.dbCheck) {
      const ok = await withTimeout(this.dbCheck(), DB_CHECK_MS).then(
        () => true,
        (e: Error) => {
          log.warn('readiness: the database check failed', { err: e });
          return false;
        },
      );
      if (!ok) return [503, { status: 'not ready', reason: 'the database is not answering' }];
    }
    return [200, { status: 'ready' }];
  }
}

function send(res: ServerResponse, code: number, body: Record<string, string>, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
