import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Socket } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processAlive } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';
import { bearer, RawTrpcSocket } from './security-helpers.js';
import { Client, initPid, readingRequest, signalAgent, stalledRequest, type StopResult } from './shutdown-helpers.js';

/**
 * Issue 31: on SIGTERM/SIGINT the agent exits within 10 s whatever its clients do, telling
 * those still reading why; its containers keep running and the next agent adopts them.
 */
const SHUTTING_DOWN = 'the agent is shutting down';
const NATIVE_CLIENT = resolve(import.meta.dirname, '../dist/skiff-client');
const WEB_BUILT = existsSync(resolve(import.meta.dirname, '../../web/out/index.html'));

const fx = useAgent({ pull: true });
let h: AgentHarness;
let id = '';
const cleanups: (() => void)[] = [];

beforeAll(() => {
  h = fx.agent;
  // output all the time, so every follower has something to read (and a stalled one fills its buffers)
  const r = h.cli([
    'run',
    '-d',
    '--name',
    'chatty',
    fx.image,
    'sh',
    '-c',
    'i=0; while :; do i=$((i+1)); echo "line $i of a container that talks all the time ......................................"; usleep 5000; done',
  ]);
  if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
  id = readdirSync(join(h.root, 'containers'))[0]!;
}, 60_000);

beforeEach(async () => {
  if (h.running) return;
  await h.start();
  // the agent before was stopped, not the container: this one adopted it
  const r = h.cli(['inspect', 'chatty']);
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as { State: { Running: boolean } }[])[0]!.State.Running).toBe(true);
}, 60_000);

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function client(c: Client): Client {
  cleanups.push(() => c.kill());
  return c;
}

function socket(s: Socket): Socket {
  cleanups.push(() => s.destroy());
  return s;
}

/** SIGTERM (or `signal`); then: gone in time with code 0, no fault logged, the container still running */
async function stopAndCheck(opts: { again?: number; code?: number; signal?: NodeJS.Signals } = {}): Promise<StopResult> {
  const logged = h.output.length;
  const stop = await signalAgent(h, { again: opts.again, signal: opts.signal });
  expect(stop.killed, `the agent was still running ${stop.ms} ms after ${opts.signal ?? 'SIGTERM'}`).toBe(false);
  // (what it wrote last is read once its stdout closed)
  const out = h.daemon!.stdout!;
  if (!out.closed) await Promise.race([new Promise((r) => out.once('close', r)), new Promise((r) => setTimeout(r, 2_000))]);
  // a stream ended by the stop is not a fault of the agent's
  expect(h.output.slice(logged)).not.toMatch(/uncaught|unhandled|contained fault/i);
  expect(stop.ms).toBeLessThanOrEqual(10_000);
  expect(stop.code).toBe(opts.code ?? 0);
  expect(processAlive(initPid(h, id)), 'the container keeps running').toBe(true);
  return stop;
}

describe('stopping the agent (SIGTERM)', { timeout: 90_000 }, () => {
  it.runIf(existsSync(NATIVE_CLIENT))('native client: a suspended `logs -f` does not hold it; a reading one is told why', async () => {
    const stalled = client(Client.skiff(h, ['logs', '-f', 'chatty']));
    const reading = client(Client.skiff(h, ['logs', '-f', 'chatty']));
    await Promise.all([stalled.streaming, reading.streaming]);
    stalled.suspend();
    await stopAndCheck();
    expect(await reading.exitWithin(2_000)).toBe(125);
    expect(reading.stderr).toContain(SHUTTING_DOWN);
  });

  it('Node CLI: `logs -f` and `events` are told why and exit non-zero; a suspended one does not hold it', async () => {
    const stalled = client(Client.skiff(h, ['logs', '-f', 'chatty'], true));
    const logs = client(Client.skiff(h, ['logs', '-f', 'chatty'], true));
    await Promise.all([stalled.streaming, logs.streaming]);
    const events = client(Client.skiff(h, ['events'], true));
    // the subscription is up once an event comes through
    let up = false;
    void events.streaming.then(() => (up = true));
    for (let i = 0; i < 30 && !up; i++) {
      h.cli(['pause', 'chatty']);
      h.cli(['unpause', 'chatty']);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(up, `skiff events printed nothing: ${events.stderr}`).toBe(true);
    stalled.suspend();
    await stopAndCheck();
    expect(await logs.exitWithin(2_000)).not.toBe(0);
    expect(logs.stderr).toContain(SHUTTING_DOWN);
    expect(await events.exitWithin(2_000)).not.toBe(0);
    expect(events.stderr).toContain(SHUTTING_DOWN);
  });

  it('tRPC WebSocket (SIGINT): a subscription that stops reading does not hold it; a reading one gets 1001 and the reason', async () => {
    const token = h.token('read');
    const stalled = await RawTrpcSocket.open(h, bearer(token));
    const reading = await RawTrpcSocket.open(h, bearer(token));
    cleanups.push(
      () => stalled.ws.terminate(),
      () => reading.ws.terminate(),
    );
    for (const s of [stalled, reading]) {
      const sub = s.send('subscription', 'containers.logChunks', { id: 'chatty', options: { follow: true } });
      expect(await s.waitFor(sub, (m) => m.result?.type === 'data'), 'log chunks arrive').toBeDefined();
    }
    (stalled.ws as unknown as { _socket: Socket })._socket.pause();
    await new Promise((r) => setTimeout(r, 1_000)); // the agent's writes to it pile up
    await stopAndCheck({ signal: 'SIGINT' }); // Ctrl+C on a foreground agent: the same stop
    expect(await reading.closed).toEqual({ code: 1001, reason: SHUTTING_DOWN });
  });

  it('Docker API: hijacked attach and events that stop reading do not hold it; exec, logs, events and stats that read are ended', async () => {
    const attachHead = `POST /containers/chatty/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;
    socket(await stalledRequest({ path: h.dockerSocket }, attachHead));
    const stalledEvents = readingRequest(h.dockerSocket, '/events').then(({ res }) => {
      res.pause();
      return res;
    });
    const events = await readingRequest(h.dockerSocket, '/events');
    const stats = await readingRequest(h.dockerSocket, '/containers/chatty/stats');
    cleanups.push(
      () => void stalledEvents.then((r) => r.destroy()),
      () => events.res.destroy(),
      () => stats.res.destroy(),
    );
    const exec = client(Client.docker(h, ['exec', 'chatty', 'sh', '-c', 'while :; do echo from-exec; usleep 100000; done']));
    const logs = client(Client.docker(h, ['logs', '-f', '--tail', '5', 'chatty']));
    await Promise.all([exec.streaming, logs.streaming, stalledEvents]);
    await stopAndCheck();
    for (const c of [exec, logs]) {
      expect(await c.exitWithin(2_000)).not.toBe(0);
      expect(c.stderr).toContain(SHUTTING_DOWN);
    }
    expect(await events.ended, 'the events stream ends cleanly').toBe('end');
    expect(await stats.ended, 'the stats stream ends cleanly').toBe('end');
  });

  it.runIf(WEB_BUILT)('dashboard: a stalled page load and a WebSocket do not hold it', async () => {
    expect((await fetch(`${h.url}/login`)).status).toBe(200);
    // a browser tab: a page that is not read, and the tRPC WebSocket on the agent's port
    const page = `GET /login HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`.repeat(50);
    socket(await stalledRequest({ port: h.port }, page));
    const ws = await RawTrpcSocket.open(h, bearer(h.token('read')));
    cleanups.push(() => ws.ws.terminate());
    ws.send('subscription', 'containers.logChunks', { id: 'chatty', options: { follow: true } });
    await stopAndCheck();
    expect(await ws.closed).toEqual({ code: 1001, reason: SHUTTING_DOWN });
  });

  it('a second SIGTERM during the stop exits at once; the container keeps running', async () => {
    const stalled = client(Client.skiff(h, ['logs', '-f', 'chatty'], !existsSync(NATIVE_CLIENT)));
    await stalled.streaming;
    stalled.suspend();
    // a suspended client holds the first stop for its grace period; the second signal cuts it short
    const stop = await stopAndCheck({ again: 300, code: 143 });
    expect(stop.ms).toBeLessThan(2_500);
  });
});
