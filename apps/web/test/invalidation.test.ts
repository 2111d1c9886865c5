import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@skiff/agent';
import { describe, expect, it } from 'vitest';
import { pathsForEvents, pathsForMutation, queryKeyOf, type QueryPath } from '../trpc/invalidation.js';

/**
 * The invalidation map against the keys tRPC's TanStack integration really builds: a
 * cache seeded with one entry per list, then what each change marks stale.
 */
function seeded() {
  const queryClient = new QueryClient();
  // keys only: nothing is fetched, so the client needs no link
  const trpc = createTRPCOptionsProxy<AppRouter>({ client: createTRPCClient<AppRouter>({ links: [] }), queryClient });
  const keys = {
    containers: trpc.containers.list.queryKey({ all: true }),
    container: trpc.containers.inspect.queryKey({ id: 'abc' }),
    top: trpc.containers.top.queryKey({ id: 'abc' }),
    images: trpc.images.list.queryKey(),
    volumes: trpc.volumes.list.queryKey(),
    networks: trpc.networks.list.queryKey(),
    stacks: trpc.stacks.list.queryKey(),
    stack: trpc.stacks.get.queryKey({ name: 'web' }),
    users: trpc.users.list.queryKey(),
    tokens: trpc.tokens.list.queryKey(),
    audit: trpc.audit.list.queryKey({ limit: 50 }),
    df: trpc.system.df.queryKey(),
    me: trpc.auth.me.queryKey(),
  };
  for (const k of Object.values(keys)) queryClient.setQueryData(k, []);
  const stale = async (paths: readonly QueryPath[]) => {
    await Promise.all(paths.map((p) => queryClient.invalidateQueries({ queryKey: queryKeyOf(p) })));
    return Object.entries(keys)
      .filter(([, k]) => queryClient.getQueryState(k)?.isInvalidated)
      .map(([name]) => name)
      .sort();
  };
  return { stale };
}

const paths = (p: ReturnType<typeof pathsForMutation>) => {
  if (p === 'all') throw new Error('expected paths');
  return p;
};

describe('what a change makes stale', () => {
  it('a container event: the lists that show containers, disk use and the audit log, not the polled process list nor users', async () => {
    expect(await seeded().stale(pathsForEvents(['container']))).toEqual(['audit', 'container', 'containers', 'df', 'networks', 'stack', 'stacks', 'volumes']);
  });

  it('an image event: the image lists, disk use and the audit log', async () => {
    expect(await seeded().stale(pathsForEvents(['image', 'image']))).toEqual(['audit', 'df', 'images']);
  });

  it('a volume event (a volume made with the CLI): the volume list, disk use and the audit log', async () => {
    expect(await seeded().stale(pathsForEvents(['volume']))).toEqual(['audit', 'df', 'volumes']);
  });

  it('no events: nothing', async () => {
    expect(await seeded().stale(pathsForEvents([]))).toEqual([]);
  });

  it('a mutation: its own lists and the audit log; a user change nothing of the runtime', async () => {
    expect(await seeded().stale(paths(pathsForMutation('volumes.create')))).toEqual(['audit', 'df', 'volumes']);
    expect(await seeded().stale(paths(pathsForMutation('users.update')))).toEqual(['audit', 'users']);
    expect(await seeded().stale(paths(pathsForMutation('tokens.revoke')))).toEqual(['audit', 'tokens']);
    expect(await seeded().stale(paths(pathsForMutation('stacks.save')))).toEqual([
      'audit',
      'container',
      'containers',
      'df',
      'networks',
      'stack',
      'stacks',
      'volumes',
    ]);
  });

  it('signing in starts everything over; signing out leaves it to the page that clears the cache', () => {
    expect(pathsForMutation('auth.login')).toBe('all');
    expect(pathsForMutation('auth.setup')).toBe('all');
    expect(pathsForMutation('auth.logout')).toEqual([]);
  });

  it('never lists a path twice or one its prefix already covers', () => {
    const p = paths(pathsForMutation('stacks.deploy'));
    const names = p.map((x) => x.join('.'));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('stacks');
    expect(names).not.toContain('stacks.list');
  });
});
