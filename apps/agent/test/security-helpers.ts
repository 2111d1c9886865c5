import { request } from 'node:http';
import WebSocket from 'ws';
import type { AgentHarness } from './agent-harness.js';

export type TrpcReply = { status: number; data?: unknown; error?: { message: string; data: { code: string } }; setCookie?: string | null };

/** one tRPC call over HTTP (GET for queries, POST for mutations) with the given headers */
export async function trpcCall(
  agent: AgentHarness,
  kind: 'query' | 'mutation',
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<TrpcReply> {
  const url = `${agent.url}/trpc/${path}`;
  const res =
    kind === 'query'
      ? await fetch(`${url}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })
      : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input ?? null) });
  const body = (await res.json()) as { result?: { data: unknown }; error?: TrpcReply['error'] };
  return { status: res.status, data: body.result?.data, error: body.error, setCookie: res.headers.get('set-cookie') };
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** a session cookie header for a user, from a real login */
export async function login(agent: AgentHarness, username: string, password: string): Promise<{ cookie: string }> {
  const r = await trpcCall(agent, 'mutation', 'auth.login', { username, password });
  if (r.status !== 200) throw new Error(`login of ${username} failed: ${r.status} ${r.error?.message}`);
  return { cookie: r.setCookie!.split(';')[0]! };
}

export type WsMessage = { id?: number; result?: { type?: string; data?: unknown }; error?: { message: string; data?: { code: string } } };

/** a raw tRPC WebSocket: JSON-RPC messages as tRPC's wsLink sends them, every answer kept */
export class RawTrpcSocket {
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString()) as WsMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(agent: AgentHarness, headers: Record<string, string>): Promise<RawTrpcSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/trpc`, { headers });
      const s = new RawTrpcSocket(ws);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** sends a call; returns its id */
  send(method: 'query' | 'mutation' | 'subscription', path: string, input?: unknown): number {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params: { path, input } }));
    return id;
  }

  /** the first message for `id` that matches, waiting up to `ms` */
  async waitFor(id: number, match: (m: WsMessage) => boolean, ms = 10_000): Promise<WsMessage | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find((m) => m.id === id && match(m));
      if (found || Date.now() > deadline || this.ws.readyState === WebSocket.CLOSED) return found;
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise((r) => setTimeout(r, 100))]);
    }
  }

  /** one query or mutation, answered */
  async call(method: 'query' | 'mutation', path: string, input?: unknown): Promise<WsMessage | undefined> {
    const id = this.send(method, path, input);
    return this.waitFor(id, (m) => !!m.error || m.result !== undefined);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * A raw HTTP request that announces `announced` bytes and sends `send` of them: the status
 * and how long the answer took (a server that waits for the whole body never answers).
 */
export function announceLargeBody(
  url: string,
  path: string,
  announced: number,
  send: number,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const u = new URL(url);
    const req = request({
      host: u.hostname,
      port: u.port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(announced), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 0, ms: Date.now() - t0 });
    }, timeoutMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, ms: Date.now() - t0 });
      req.destroy();
    });
    // the server may close while we still write: that is an answer of its own (-1)
    req.on('error', () => {
      clearTimeout(timer);
      resolve({ status: -1, ms: Date.now() - t0 });
    });
    req.flushHeaders();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < send) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}
