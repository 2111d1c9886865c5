'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { isUnauthorized } from '../lib/errors';
import { useTRPC } from '../trpc/react';

/** pages that work signed out; the session is not asked for there (it would only be a 401) */
export const SIGNED_OUT_PAGES = ['/login', '/setup'];

/**
 * The signed-in user as the agent says (`auth.me`: name, role and `can`, what they may do),
 * or null while unknown or signed out. Shared by every caller through the query cache.
 */
export function useSession() {
  const trpc = useTRPC();
  const path = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { enabled: !SIGNED_OUT_PAGES.includes(path) }));
  // an error being retried is not the answer yet
  return { me: me.data ?? null, error: me.isFetching ? null : me.error };
}

export type Me = NonNullable<ReturnType<typeof useSession>['me']>;

/** The signed-in user, or a redirect to /login (or /setup on a fresh agent). */
export function useMe(): Me | null {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { me, error } = useSession();
  const signedOut = !!error && isUnauthorized(error);
  useEffect(() => {
    if (!signedOut) return;
    let live = true;
    queryClient
      .fetchQuery(trpc.auth.setupNeeded.queryOptions())
      .catch((e: unknown) => {
        console.warn('setupNeeded check failed; going to the login page', e);
        return { needed: false };
      })
      .then(({ needed }) => live && router.replace(needed ? '/setup' : '/login'));
    return () => {
      live = false;
    };
  }, [signedOut, queryClient, trpc, router]);
  return me;
}
