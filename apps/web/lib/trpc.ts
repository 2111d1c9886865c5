'use client';
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@skiff/agent';
import { networkRetryLink } from './network-retry';

/**
 * The dashboard talks to the agent that serves it: HTTP for queries and mutations
 * (the session cookie rides along), one WebSocket for streams.
 */
let client: ReturnType<typeof make> | undefined;

function make() {
  const ws = createWSClient({ url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`, lazy: { enabled: true, closeMs: 30_000 } });
  return createTRPCClient<AppRouter>({
    links: [networkRetryLink, splitLink({ condition: (op) => op.type === 'subscription', true: wsLink({ client: ws }), false: httpBatchLink({ url: '/trpc' }) })],
  });
}

export function api() {
  client ??= make();
  return client;
}

export function errorMessage(e: unknown): string {
  return e instanceof TRPCClientError || e instanceof Error ? e.message : String(e);
}

export function isUnauthorized(e: unknown): boolean {
  return e instanceof TRPCClientError && (e.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}
