import { readFileSync } from 'node:fs';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.js';
import { fixtureRegistry, stopFixtureRegistry } from '../../../packages/runtime/test/fixtures/index.js';
import { AgentHarness } from './agent-harness.js';

let agent: AgentHarness;
let image: string;

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  agent = await AgentHarness.create([reg.host]);
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
}, 90_000);

afterAll(async () => {
  await agent?.dispose();
  await stopFixtureRegistry();
}, 60_000);

function connect(token: string) {
  class Authed extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const ws = createWSClient({ url: `ws://127.0.0.1:${agent.port}/trpc`, WebSocket: Authed as unknown as typeof globalThis.WebSocket });
  return { client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }), close: () => ws.close() };
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('exec streams over WebSocket', () => {
  it('streams 50 MB to a slow client without loss and without the agent buffering it', async () => {
    const { client, close } = connect(agent.token('operate'));
    try {
      const id = agent.cli(['run', '-d', image, 'sleep', '300']).stdout.trim();
      const pid = agent.daemon!.pid!;
      const baseline = rssKiB(pid);
      let peak = baseline;
      const { sessionId } = await client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'head -c 52428800 /dev/zero'] } });
      let bytes = 0;
      let events = 0;
      const code = await new Promise<number>((resolve, reject) => {
        client.containers.sessionOutput.subscribe(
          { sessionId },
          {
            onData(e) {
              if (e.type === 'exit') return resolve(e.code);
              bytes += Buffer.from(e.data, 'base64').length;
              // a slow reader: block now and then, so the agent must hold back
              if (++events % 20 === 0) {
                const until = Date.now() + 15;
                while (Date.now() < until);
                peak = Math.max(peak, rssKiB(pid));
              }
            },
            onError: reject,
          },
        );
      });
      expect(code).toBe(0);
      expect(bytes).toBe(52428800);
      expect(peak - baseline).toBeLessThan(150 * 1024); // far less than the 50 MB (+ base64) that went through
      agent.cli(['rm', '-f', id]);
    } finally {
      close();
    }
  }, 120_000);

  it('a client that goes away ends its own session only', async () => {
    const a = connect(agent.token('operate'));
    const b = connect(agent.token('operate'));
    try {
      const id = agent.cli(['run', '-d', image, 'sleep', '300']).stdout.trim();
      const first = await a.client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'while true; do echo a; sleep 0.1; done'] } });
      const second = await b.client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'sleep 1; echo b-done'] } });
      a.client.containers.sessionOutput.subscribe({ sessionId: first.sessionId }, { onData() {} });
      const out: string[] = [];
      const done = new Promise<number>((resolve) =>
        b.client.containers.sessionOutput.subscribe(
          { sessionId: second.sessionId },
          { onData: (e) => (e.type === 'exit' ? resolve(e.code) : out.push(Buffer.from(e.data, 'base64').toString())) },
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      a.close(); // the first client disappears mid-stream
      expect(await done).toBe(0);
      expect(out.join('')).toBe('b-done\n');
      // the abandoned exec's process is gone (its pipes closed), the container runs on
      await new Promise((r) => setTimeout(r, 500));
      const top = agent.cli(['top', id]).stdout;
      expect(top).not.toMatch(/while true/);
      expect(agent.cli(['inspect', '-f', '{{.State.Status}}', id]).stdout).toBe('running\n');
      agent.cli(['rm', '-f', id]);
    } finally {
      b.close();
    }
  }, 60_000);
});
