'use client';
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '@skiff/agent';
import { networkRetryLink } from './network-retry';

export type Client = TRPCClient<AppRouter>;

/**
 * The dashboard talks to the agent that serves it: HTTP for queries and mutations
 * (the session cookie rides along, same origin), one WebSocket for streams.
 */
let client: Client | undefined;

function make(): Client {
  const ws = createWSClient({
    url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`,
    lazy: { enabled: true, closeMs: 30_000 },
  });
  return createTRPCClient<AppRouter>({
    links: [
      networkRetryLink,
      splitLink({ condition: (op) => op.type === 'subscription', true: wsLink({ client: ws }), false: httpBatchLink({ url: '/trpc' }) }),
    ],
  });
}

/**
 * The one client of this browser tab (the query provider and the streaming components share
 * its WebSocket). On the server, where Next prerenders client pages and nothing is fetched,
 * a client without links stands in: Node 20 has no WebSocket to build the real one with.
 */
export function api(): Client {
  if (typeof window === 'undefined') return createTRPCClient<AppRouter>({ links: [] });
  client ??= make();
  return client;
}
