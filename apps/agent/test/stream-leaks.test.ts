/**
 * No leaks per call (issue 31): a thousand short calls of each streaming endpoint, over the
 * agent's real transports (tRPC subscriptions over WebSocket, the Docker API socket, the CLI
 * through the native client and the agent's CLI host), leave the agent's open files and
 * handles where they were, its memory near, and never make it warn of an abort-listener leak
 * (MaxListenersExceededWarning, which a day of dashboard, CLI and Docker use printed 22 times).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';
import { buildContext, cliFirstOutput, dockerFirstData, dockerHijack, dockerJson, repeat, trpcFirstData, trpcOverWs, type TrpcClient } from './stream-calls.js';

const CALLS = Number(process.env.SKIFF_LEAK_CALLS ?? 1000);
const WARMUP = 50;
const CONCURRENCY = 8;
/** RSS may stay a little higher (heap grown to its working size, malloc arenas) */
const RSS_SLACK_MIB = 30;
/** a timer or request in flight when counted (a stats sample, the agent's own housekeeping) */
const HANDLE_SLACK = 3;
const FD_SLACK = 2;

let agent: AgentHarness;
let image: string;
let trpc: { client: TrpcClient; close: () => void };
/** a container that prints a line every 50 ms, for logs, attach, stats and exec */
let ticker: string;
let buildTar: Buffer;

interface Counts {
  fds: number;
  handles: number;
  rssMiB: number;
}

async function counts(): Promise<Counts & { types: Record<string, number> }> {
  const info = await dockerJson<{ NFd: number; NGoroutines: number }>(agent, 'GET', '/info');
  const own = await trpc.client.system.resources.query();
  const rssMiB = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${agent.daemon!.pid}/status`, 'utf8'))![1]) / 1024;
  return { fds: info.NFd, handles: info.NGoroutines, rssMiB, types: own.handleTypes };
}

/** the counts once the calls before have wound down (a stats stream's last sleep, a closing socket): the least of a few samples over ~1.5 s */
async function quiet(): Promise<Counts> {
  await new Promise((r) => setTimeout(r, 1200));
  const samples = [await counts()];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    samples.push(await counts());
  }
  return {
    fds: Math.min(...samples.map((s) => s.fds)),
    handles: Math.min(...samples.map((s) => s.handles)),
    rssMiB: Math.min(...samples.map((s) => s.rssMiB)),
  };
}

/** waits for the counts to come back to `base` (up to 5 s), or within its slack (up to 15 s) */
async function settled(base: Counts): Promise<Counts & { types: Record<string, number> }> {
  const started = Date.now();
  for (;;) {
    const now = await counts();
    const exact = now.fds <= base.fds && now.handles <= base.handles;
    const near = now.fds <= base.fds + FD_SLACK && now.handles <= base.handles + HANDLE_SLACK;
    const waited = Date.now() - started;
    if (exact || (near && waited > 5000) || waited > 15_000) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** MaxListenersExceededWarning so far: counted by the agent itself, and printed (with its stack) */
async function leakWarnings(): Promise<{ counted: number; printed: string[] }> {
  await new Promise((r) => setTimeout(r, 50)); // a warning is emitted on the next tick
  const lines = agent.output.split('\n');
  const printed = lines.flatMap((l, i) => (/MaxListenersExceededWarning|memory leak detected/.test(l) ? [lines.slice(i, i + 8).join('\n')] : []));
  return { counted: (await trpc.client.system.resources.query()).maxListenersWarnings, printed };
}

/**
 * No new warning since `before`. Both ways: run from source under tsx, the agent's Node
 * prints no warnings; run from its bundle (as installed), the stack says who leaked.
 */
async function expectNoNewLeakWarning(name: string, before: { counted: number; printed: string[] }): Promise<void> {
  const now = await leakWarnings();
  expect(now.printed.slice(before.printed.length), name).toEqual([]);
  expect(now.counted - before.counted, `${name}: MaxListenersExceededWarning`).toBe(0);
}

/** image events every ~20 ms (re-tagging one tag) while on, for the event streams to get their first data */
function eventTicker(): () => void {
  let on = true;
  void (async () => {
    while (on) {
      await dockerJson(agent, 'POST', `/images/${encodeURIComponent(image)}/tag?repo=leak-events&tag=t`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return () => (on = false);
}

/** warms `call` up, takes the agent's counts, makes CALLS calls, and checks the counts came back */
async function noLeakAfter(name: string, call: (i: number) => Promise<unknown>, opts: { events?: boolean; concurrency?: number } = {}): Promise<void> {
  const stop = opts.events ? eventTicker() : undefined;
  const concurrency = opts.concurrency ?? CONCURRENCY;
  try {
    const warned = await leakWarnings();
    await repeat(WARMUP, concurrency, call);
    const base = await quiet();
    const started = Date.now();
    await repeat(CALLS, concurrency, call);
    const took = Date.now() - started;
    stop?.();
    const after = await settled(base);
    process.stdout.write(
      `${name}: ${CALLS} calls in ${took} ms; fds ${base.fds} -> ${after.fds}, handles ${base.handles} -> ${after.handles}, rss ${base.rssMiB.toFixed(1)} -> ${after.rssMiB.toFixed(1)} MiB; ${JSON.stringify(after.types)}\n`,
    );
    await expectNoNewLeakWarning(name, warned);
    expect(after.fds, `${name}: open files`).toBeLessThanOrEqual(base.fds + FD_SLACK);
    expect(after.handles, `${name}: handles ${JSON.stringify(after.types)}`).toBeLessThanOrEqual(base.handles + HANDLE_SLACK);
    expect(after.rssMiB, `${name}: RSS (MiB)`).toBeLessThan(base.rssMiB + RSS_SLACK_MIB);
  } finally {
    stop?.();
  }
}

beforeAll(async () => {
  const registry = (await fixtureRegistry()).host;
  image = `${registry}/skiff-test/busybox:latest`;
  // a leak warning comes with the stack (in the source) of the listener's adder
  agent = await AgentHarness.create([registry], { env: { SKIFF_NODE_FLAGS: '--trace-warnings --enable-source-maps' } });
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
  const run = agent.cli(['run', '-d', image, 'sh', '-c', 'while :; do echo tick; sleep 0.05; done']);
  expect(run.code, run.stderr).toBe(0);
  ticker = run.stdout.trim();
  buildTar = await buildContext(`FROM ${image}\nLABEL skiff.test=leaks\n`);
  trpc = trpcOverWs(agent, agent.token('admin'));
}, 120_000);

afterAll(async () => {
  trpc?.close();
  await agent?.dispose();
  await stopFixtureRegistry();
}, 90_000);

describe('a long stream adds no listener per event', () => {
  it('tRPC events and exec output: 40 events on one subscription each', async () => {
    const c = trpc.client;
    const warned = await leakWarnings();
    const stop = eventTicker();
    try {
      await new Promise<void>((resolve, reject) => {
        let n = 0;
        const sub = c.system.events.subscribe(undefined, {
          onData: () => {
            if (++n !== 40) return;
            sub.unsubscribe();
            resolve();
          },
          onError: reject,
        });
      });
    } finally {
      stop();
    }
    const { sessionId } = await c.containers.exec.mutate({ id: ticker, spec: { cmd: ['sh', '-c', 'for i in $(seq 40); do echo $i; sleep 0.02; done'] } });
    const chunks = await new Promise<number>((resolve, reject) => {
      let n = 0;
      c.containers.sessionOutput.subscribe({ sessionId }, { onData: (e) => (e.type === 'exit' ? resolve(n) : n++), onError: reject });
    });
    expect(chunks).toBeGreaterThan(11); // more events than Node's listener limit
    await expectNoNewLeakWarning('long streams', warned);
  }, 60_000);
});

describe('a thousand calls of each stream leave the agent as it was', () => {
  // one kind at a time: side by side they took longer on this 2-core host (more contention)
  it('tRPC over WebSocket: logs follow (lines, chunks), events, stats', async () => {
    const c = trpc.client;
    const follow = { id: ticker, options: { follow: true, tail: 1 } };
    await noLeakAfter('tRPC logs', () => trpcFirstData('logs', c.containers.logs, follow));
    await noLeakAfter('tRPC logChunks', () => trpcFirstData('logChunks', c.containers.logChunks, follow));
    await noLeakAfter('tRPC events', () => trpcFirstData('events', c.system.events, undefined), { events: true });
    await noLeakAfter('tRPC stats', () => trpcFirstData('stats', c.containers.statsStream, { id: ticker }));
  }, 600_000);

  it('Docker API: logs follow, events, stats stream, attach, exec', async () => {
    await noLeakAfter('Docker logs', () => dockerFirstData(agent, 'GET', `/containers/${ticker}/logs?follow=1&stdout=1&stderr=1&tail=1`));
    // the last seconds' events are replayed first, so each call has data at once
    await noLeakAfter('Docker events', () => dockerFirstData(agent, 'GET', `/events?since=${Math.floor(Date.now() / 1000) - 2}`), { events: true });
    await noLeakAfter('Docker stats', () => dockerFirstData(agent, 'GET', `/containers/${ticker}/stats?stream=1`));
    await noLeakAfter('Docker attach', () => dockerHijack(agent, `/containers/${ticker}/attach?stream=1&stdout=1&stderr=1`, {}));
    await noLeakAfter('Docker exec', async () => {
      const { Id } = await dockerJson<{ Id: string }>(agent, 'POST', `/containers/${ticker}/exec`, {
        Cmd: ['echo', 'hi'],
        AttachStdout: true,
        AttachStderr: true,
      });
      await dockerHijack(agent, `/exec/${Id}/start`, { Detach: false, Tty: false }, true);
    });
  }, 600_000);

  it('Docker API: pull from the registry, build', async () => {
    const [repo, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
    await noLeakAfter('Docker pull', () => dockerFirstData(agent, 'POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`));
    // every other build is cancelled at its first line (its first step); the others run to
    // their end (quiet: the image id is their first line), a cached LABEL step each
    await noLeakAfter('Docker build', (i) =>
      dockerFirstData(agent, 'POST', `/build?t=leak-build:latest${i % 2 ? '&q=1' : ''}`, buildTar, { 'content-type': 'application/x-tar' }),
    );
  }, 600_000);

  it('CLI through the agent: logs -f, stats, events in turn', async () => {
    const verbs = [['logs', '-f', '--tail', '1', ticker], ['stats', ticker], ['events']];
    await noLeakAfter('CLI logs -f/stats/events', (i) => cliFirstOutput(agent, verbs[i % verbs.length]!), { events: true });
  }, 600_000);
});
