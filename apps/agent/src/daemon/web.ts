import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child-stop.js';
import { logger } from '@skiff/logger';

const log = logger.child({ component: 'web' });

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface WebFrontend {
  handle: WebHandler;
  /** stdin closed and SIGTERM; SIGKILL if still there after `graceMs`. Resolves once it is gone. */
  close(graceMs: number): Promise<void>;
  /** SIGKILL now (an agent leaving at once must not leave the child behind) */
  kill(): void;
}

const WEB_DIR = fileURLToPath(new URL('../../../web', import.meta.url));
const SERVER_SCRIPT = fileURLToPath(new URL('./web-server.mjs', import.meta.url));

/**
 * The dashboard (apps/web, a Next.js app) runs in a child process of the agent and is
 * proxied on the agent's own port, so one start command and one address give both API and
 * UI. Apart because Next.js costs ~80 MiB of resident memory that the privileged, long-lived
 * agent (which holds every container's bookkeeping) should not carry, and a dashboard crash
 * must not touch the API. The child is started at once (a first page should not wait for
 * Next.js to boot) and again on the next request if it dies. Without a build, a short page
 * says how to get one.
 */
export function startWebFrontend(runDir: string): WebFrontend {
  if (!existsSync(join(WEB_DIR, '.next', 'BUILD_ID'))) {
    return {
      handle: (_req, res) => {
        res
          .writeHead(503, { 'content-type': 'text/plain' })
          .end('The Skiff dashboard is not built: run `npm run build` (scripts/start.sh does). The API is at /trpc.\n');
      },
      close: async () => {},
      kill() {},
    };
  }
  const socketPath = join(runDir, 'web.sock');
  let child: ChildProcess | undefined;
  let ready: Promise<void> | undefined;
  let closed = false;

  const launch = (): Promise<void> => {
    const c = spawn(process.execPath, [SERVER_SCRIPT, WEB_DIR, socketPath], {
      // stderr through the agent's own, so it lands in the agent's rotating --log-file too
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    child = c;
    c.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    const up = new Promise<void>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      c.once('exit', (code, signal) => reject(new Error(`the dashboard server exited (${signal ?? code}) before it was ready`)));
      c.once('error', reject);
    });
    c.once('exit', () => {
      if (child === c) {
        child = undefined;
        ready = undefined;
      }
    });
    return up;
  };
  ready = launch();
  // (a child stopped with the agent before it was up is no news)
  ready.catch((e: Error) => closed || log.warn('the dashboard did not start', { err: e }));

  return {
    handle(req, res) {
      if (closed) return void res.writeHead(503).end();
      ready ??= launch();
      ready.then(
        () => {
          const upstream = request({ socketPath, method: req.method, path: req.url, headers: req.headers }, (up) => {
            res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
            up.pipe(res);
          });
          upstream.on('error', () => {
            if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('the dashboard server is not answering\n');
            else res.destroy();
          });
          res.on('close', () => upstream.destroy());
          req.pipe(upstream);
        },
        (e: Error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
      );
    },
    close(graceMs) {
      closed = true;
      return child ? stopChild(child, graceMs, 'the dashboard server') : Promise.resolve();
    },
    kill() {
      closed = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
