'use client';
import { MutationCache, QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@skiff/agent';
import { useCallback, useState, type ReactNode } from 'react';
import { api } from '../lib/trpc';
import { pathsForMutation, queryKeyOf, type QueryPath } from './invalidation';

/**
 * The dashboard's data layer (create-t3-app's pattern): one TanStack Query cache with tRPC's
 * query and mutation options on top. Pages read with `useQuery(trpc.x.queryOptions())` and
 * change with `useMutation(trpc.x.mutationOptions())`; a settled mutation marks what it
 * changed stale (trpc/invalidation.ts), and the runtime's event stream does the same for
 * changes made anywhere else (trpc/live-events.tsx), so no page refetches by hand.
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

async function invalidate(client: QueryClient, paths: readonly QueryPath[] | 'all'): Promise<void> {
  // reset, not just invalidated: the signed-out answers (401s) must not show while the new ones load
  if (paths === 'all') return client.resetQueries();
  await Promise.all(paths.map((p) => client.invalidateQueries({ queryKey: queryKeyOf(p) })));
}

/** the tRPC path of a mutation made with `trpc.x.y.mutationOptions()` (its key is [['x', 'y']]) */
const mutationPath = (key: readonly unknown[] | undefined): string | undefined => (Array.isArray(key?.[0]) ? (key[0] as string[]).join('.') : undefined);

function makeQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    defaultOptions: {
      // as before this cache: a failure shows at once (network-retry.ts already repeats a call the browser dropped), no refetch on focus
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
    mutationCache: new MutationCache({
      // awaited: a mutation's caller sees it done once the lists it changed are fresh again
      onSettled: (_data, _error, _vars, _ctx, mutation) => {
        const path = mutationPath(mutation.options.mutationKey);
        return path ? invalidate(client, pathsForMutation(path)) : undefined;
      },
    }),
  });
  return client;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(api);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** marks these paths stale (for changes made through a stream, such as a pull or a deploy) */
export function useInvalidate(): (paths: readonly QueryPath[] | 'all') => Promise<void> {
  const client = useQueryClient();
  return useCallback((paths) => invalidate(client, paths), [client]);
}
