import { createTRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '@skiff/agent';
import { droppedByNetwork, networkRetryLink } from '../lib/network-retry';

type Answer = 'dropped' | 'not-found' | 'refused' | { data: unknown };

/** a stand-in for the HTTP link: answers each attempt from the script, records the paths */
function scripted(answers: Answer[]) {
  const calls: string[] = [];
  const link: TRPCLink<AppRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        calls.push(op.path);
        const a = answers.shift() ?? 'refused';
        if (a === 'dropped') observer.error(TRPCClientError.from(new TypeError('Failed to fetch')));
        else if (a === 'not-found')
          observer.error(TRPCClientError.from({ error: { message: 'no such container: x', code: -32004, data: { code: 'NOT_FOUND', httpStatus: 404 } } }));
        else if (a === 'refused')
          observer.error(TRPCClientError.from({ error: { message: 'the container is paused', code: -32009, data: { code: 'CONFLICT', httpStatus: 409 } } }));
        else {
          observer.next({ result: { type: 'data', data: a.data } });
          observer.complete();
        }
      });
  return { calls, client: createTRPCClient<AppRouter>({ links: [networkRetryLink, link] }) };
}

describe('calls the browser dropped (net::ERR_NETWORK_CHANGED)', () => {
  it('tells a dropped call from an answered one', () => {
    expect(droppedByNetwork(TRPCClientError.from(new TypeError('Failed to fetch')))).toBe(true);
    expect(droppedByNetwork(TRPCClientError.from({ error: { message: 'x', code: -32004, data: { code: 'NOT_FOUND' } } }))).toBe(false);
  });

  it('sends a dropped query or repeatable mutation once more', async () => {
    const q = scripted(['dropped', { data: [] }]);
    await expect(q.client.containers.list.query()).resolves.toEqual([]);
    expect(q.calls).toEqual(['containers.list', 'containers.list']);
    const start = scripted(['dropped', { data: null }]);
    await expect(start.client.containers.start.mutate({ id: 'x' })).resolves.toBeNull();
    expect(start.calls).toHaveLength(2);
  });

  it('counts a repeated removal that finds the container gone as done', async () => {
    const rm = scripted(['dropped', 'not-found']);
    await expect(rm.client.containers.remove.mutate({ id: 'x', force: true })).resolves.toBeUndefined();
    // but a first answer of "not found" is the caller's to see
    await expect(scripted(['not-found']).client.containers.remove.mutate({ id: 'x' })).rejects.toThrow(/no such container/);
  });

  it('does not repeat other mutations, answered errors, or a second drop', async () => {
    const kill = scripted(['dropped', { data: null }]);
    await expect(kill.client.containers.kill.mutate({ id: 'x' })).rejects.toThrow(/Failed to fetch/);
    expect(kill.calls).toHaveLength(1);
    const refused = scripted(['refused', { data: null }]);
    await expect(refused.client.containers.start.mutate({ id: 'x' })).rejects.toThrow(/paused/);
    expect(refused.calls).toHaveLength(1);
    const twice = scripted(['dropped', 'dropped', { data: [] }]);
    await expect(twice.client.containers.list.query()).rejects.toThrow(/Failed to fetch/);
    expect(twice.calls).toHaveLength(2);
  });
});
