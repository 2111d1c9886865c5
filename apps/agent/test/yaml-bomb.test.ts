import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.js';
import { useAgent } from './use-agent.js';
import { billionLaughs } from '../../../packages/compose/test/helpers.js';

/**
 * stacks.validate is open to viewers: a hostile Compose file must neither stall the agent
 * (its event loop serves every other call) nor take long to refuse.
 */
const fx = useAgent();
let close: (() => void) | undefined;
afterAll(() => close?.());

function viewerClient() {
  const token = fx.agent.token('read');
  class Authed extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const ws = createWSClient({ url: `ws://127.0.0.1:${fx.agent.port}/trpc`, WebSocket: Authed as unknown as typeof globalThis.WebSocket });
  close = () => ws.close();
  return createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
}

describe('hostile Compose files sent by a viewer', () => {
  it('refuses a billion-laughs file in under 100 ms', async () => {
    const client = viewerClient();
    await client.stacks.validate.query({ name: 'warm', composeFile: 'services:\n  web:\n    image: busybox\n', envFile: '' });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await client.stacks.validate.query({ name: 'bomb', composeFile: billionLaughs(), envFile: '' });
      times.push(performance.now() - t);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.message).toMatch(/aliases expand to more than/);
    }
    // the median, so one slow round trip on a busy machine does not decide (before: ~3-4 s each)
    expect(times.sort((a, b) => a - b)[1], times.join(' ')).toBeLessThan(100);
  });

  it('keeps answering ps while large files are parsed', async () => {
    const client = viewerClient();
    // ~600 KiB of flow sequence: seconds of the yaml parser's time, on the event loop before
    const big = `services:\n  web:\n    image: busybox\nx-big: [${'a,'.repeat(300_000)}]\n`;
    let parsing = true;
    const validations = Promise.all([1].map((i) => client.stacks.validate.query({ name: `big${i}`, composeFile: big, envFile: '' }))).finally(
      () => (parsing = false),
    );
    const latencies: number[] = [];
    await new Promise((r) => setTimeout(r, 200)); // the files are in, their parse under way
    while (parsing) {
      const t = performance.now();
      await client.containers.list.query({ all: true });
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = await validations;
    expect(latencies.length).toBeGreaterThan(3);
    expect(Math.max(...latencies), latencies.map((l) => l.toFixed(0)).join(' ')).toBeLessThan(500);
    for (const r of results) expect(!r.ok && r.error.message).toMatch(/more than 20000 YAML nodes/);
  }, 60_000);
});
