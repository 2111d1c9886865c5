/**
 * One short call of each of the agent's streaming endpoints, as its real clients make it:
 * open the stream, take its first data, go away (or read a short stream to its end). For the
 * leak test (stream-leaks.test.ts), which makes each call a thousand times.
 */
import { spawn } from 'node:child_process';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import tar from 'tar-stream';
import WebSocket from 'ws';
import type { AppRouter } from '../src/index.js';
import { SKIFF, type AgentHarness } from './agent-harness.js';

const CALL_TIMEOUT = 30_000;

/** resolves with `what` once `start` calls its `done`, or fails after CALL_TIMEOUT */
function bounded<T>(what: string, start: (done: (v: T) => void, fail: (e: Error) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => {};
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: no data in ${CALL_TIMEOUT} ms`))), CALL_TIMEOUT);
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      f();
    };
    cleanup = start(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(new Error(`${what}: ${e.message}`))),
    );
  });
}

/** a Docker API request on the agent's socket whose response's first bytes end it */
export function dockerFirstData(
  agent: AgentHarness,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Buffer> {
  return bounded<Buffer>(`${method} ${path}`, (done, fail) => {
    const req = request({ socketPath: agent.dockerSocket, method, path: `/v1.43${path}`, headers }, (res) => {
      if (res.statusCode! >= 300) {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => fail(new Error(`${res.statusCode}: ${text}`)));
        return;
      }
      res.once('data', (d: Buffer) => done(d));
      res.once('end', () => done(Buffer.alloc(0)));
    });
    req.on('error', fail);
    req.end(body);
    return () => req.destroy();
  });
}

/** a Docker API call read to its end (exec create, a short JSON answer) */
export function dockerJson<T>(agent: AgentHarness, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { socketPath: agent.dockerSocket, method, path: `/v1.43${path}`, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          res.statusCode! >= 300 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)) : resolve((text ? JSON.parse(text) : undefined) as T),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** a hijacked Docker API call (attach, exec start) until its first output, or its end when `toEnd` */
export function dockerHijack(agent: AgentHarness, path: string, body: unknown, toEnd = false): Promise<Buffer> {
  return bounded<Buffer>(`hijack ${path}`, (done, fail) => {
    let socket: Duplex | undefined;
    const req: ClientRequest = request({
      socketPath: agent.dockerSocket,
      method: 'POST',
      path: `/v1.43${path}`,
      headers: { 'content-type': 'application/json', connection: 'Upgrade', upgrade: 'tcp' },
    });
    req.on('upgrade', (_res: IncomingMessage, s: Duplex, head: Buffer) => {
      socket = s;
      const got: Buffer[] = head.length ? [head] : [];
      if (head.length && !toEnd) return done(head);
      s.on('data', (d: Buffer) => (toEnd ? got.push(d) : done(d)));
      s.once('end', () => done(Buffer.concat(got)));
      s.once('error', fail);
    });
    req.on('response', (res) => fail(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', fail);
    req.end(JSON.stringify(body));
    return () => {
      socket?.destroy();
      req.destroy();
    };
  });
}

/** a build context with just a Dockerfile */
export function buildContext(dockerfile: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (d: unknown) => void parts.push(d as Buffer));
    pack.on('end', () => resolve(Buffer.concat(parts)));
    pack.on('error', reject);
  });
}

export type TrpcClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/** one WebSocket to the agent's tRPC, as the dashboard keeps one for all its subscriptions */
export function trpcOverWs(agent: AgentHarness, token: string): { client: TrpcClient; close: () => void } {
  class Authed extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const ws = createWSClient({ url: `ws://127.0.0.1:${agent.port}/trpc`, WebSocket: Authed as unknown as typeof globalThis.WebSocket });
  return { client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }), close: () => void ws.close() };
}

interface Subscribable {
  subscribe(input: unknown, opts: { onData: (d: unknown) => void; onError: (e: Error) => void; onStarted?: () => void }): { unsubscribe(): void };
}

/** a tRPC subscription until its first event (or until it started, when `started`), then unsubscribed */
export function trpcFirstData(what: string, sub: Subscribable, input: unknown, started = false): Promise<void> {
  return bounded<void>(what, (done, fail) => {
    const s = sub.subscribe(input, { onData: () => done(), onError: fail, onStarted: started ? () => done() : undefined });
    return () => s.unsubscribe();
  });
}

/** a CLI call through the native client (served in the agent by its CLI host) until its first output, then killed */
export function cliFirstOutput(agent: AgentHarness, args: string[]): Promise<void> {
  return bounded<void>(`skiff ${args.join(' ')}`, (done, fail) => {
    const child = spawn(SKIFF, args, { env: agent.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.once('data', () => done());
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`exit ${code}: ${stderr}`))));
    child.once('error', fail);
    return () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
  });
}

/** runs `call` `n` times, `concurrency` at a time */
export async function repeat(n: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await call(next++);
    }),
  );
}
