import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { AppRouter } from '../src/index.js';

/** a tRPC client over the agent's WebSocket, authenticated with `token` as the dashboard is */
export function connectWs(port: number, token: string) {
  class Authed extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const ws = createWSClient({ url: `ws://127.0.0.1:${port}/trpc`, WebSocket: Authed as unknown as typeof globalThis.WebSocket });
  return { client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }), close: () => ws.close() };
}
