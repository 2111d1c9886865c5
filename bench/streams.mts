/**
 * Streams: keystroke echo over the agent's WebSocket exec session (the dashboard
 * terminal's path) and log-follow throughput, against a real `skiff daemon` and against
 * podman (`podman exec -it` on a pty, `podman logs -f`) measured in the same run.
 *
 * Usage (root): npx tsx bench/streams.mts [--keys N] [--mb N] [--runs N] [--only echo|logs] [--cpu-prof DIR]
 *   --keys   timed keystrokes per terminal (after 50 warm-up ones), default 500
 *   --mb     megabytes (10^6 bytes) each log writer produces, default 200
 *   --runs   log-follow runs per variant (the median is reported), default 3
 *   --lines  line lengths (bytes, newline included) of the log variants, default 100,16384
 *   --followers  which log followers to run: cli,cli-node,trpc,trpc-lines,docker,podman,floor (default all)
 *   --cpu-prof  the agent is CPU-profiled (inspector) and writes a .cpuprofile to DIR when it stops
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { AppRouter } from '../apps/agent/src/index.js';
import { AgentHarness, SKIFF } from '../apps/agent/test/agent-harness.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { measureEcho, ptyTerminal, type EchoTerminal } from './lib/keystroke-echo.mts';
import { podman as makePodman, type Podman } from './lib/peers.mts';
import { median, percentile, report, type Row } from './lib/report.mts';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '500' },
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    followers: { type: 'string', default: 'cli,cli-node,trpc,trpc-lines,docker,podman,floor' },
    lines: { type: 'string', default: '100,16384' },
    'cpu-prof': { type: 'string' },
  },
});
const KEYS = Number(args.keys);
const WARMUP = 50;
const BYTES = Number(args.mb) * 1e6;
const RUNS = Number(args.runs);
const CGROUP_PARENT = 'skiff-bench-streams';
/** the line lengths (newline included) the log writers produce */
const LINE_VARIANTS = args
  .lines!.split(',')
  .map(Number)
  .map((len) => ({ name: len % 1024 ? `${len} B lines` : `${len / 1024} KiB lines`, len }));
const BUSYBOX = '/usr/bin/busybox';

/** `len`-byte lines (newline included) in blocks of about 1 MB, repeated to make about BYTES */
const shape = (len: number) => {
  const block = Math.floor(1e6 / len) * len;
  const blocks = Math.round(BYTES / 1e6);
  return { block, blocks, total: block * blocks };
};
/**
 * shell that writes `shape(len).total` bytes of `len`-byte lines to stdout: one block is made
 * with `yes | head` first, then `cat` repeats it (600 MB/s here, so the writer is never what is
 * measured; `yes | head` alone manages ~200 MB/s)
 */
const writeScript = (len: number, prepare = true) => {
  const { block, blocks } = shape(len);
  const make = `yes $(printf '%0${len - 1}d' 0) | head -c ${block} > /tmp/block`;
  const repeat = `i=0; while [ $i -lt ${blocks} ]; do cat /tmp/block; i=$((i+1)); done`;
  return prepare ? `${make}; ${repeat}` : repeat;
};
/**
 * A container that writes after its follower is attached and then stays up: a follow ends
 * when the follower has everything (or nothing came for STALL_MS), never because the
 * container exited (podman logs -f stops at the exit before it has read everything).
 */
const writer = (len: number) => [
  'sh',
  '-c',
  `yes $(printf '%0${len - 1}d' 0) | head -c ${shape(len).block} > /tmp/block; sleep 1; ${writeScript(len, false)}; exec sleep 3600`,
];
const STALL_MS = 5000;
const FOLLOWERS = new Set(args.followers!.split(','));

const rows: Row[] = [];
const notes: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanup() {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const pm: Podman = makePodman();
  cleanups.push(() => pm.dispose());
  const reg = await fixtureRegistry();
  cleanups.push(() => stopFixtureRegistry());
  const image = `${reg.host}/skiff-test/busybox:latest`;

  const env: Record<string, string> = { SKIFF_CGROUP_PARENT: CGROUP_PARENT };
  if (args['cpu-prof']) {
    mkdirSync(args['cpu-prof'], { recursive: true });
    // node refuses --cpu-prof in NODE_OPTIONS; the hook profiles through the inspector instead
    env.NODE_OPTIONS = `--import ${new URL('./lib/cpu-profile-hook.mjs', import.meta.url).pathname}`;
    env.SKIFF_CPU_PROFILE_DIR = args['cpu-prof'];
  }
  const agent = await AgentHarness.create([reg.host], { env });
  cleanups.push(async () => {
    await gracefulStop(agent);
    await agent.dispose(); // its sweep removes the cgroup parent it was given (CGROUP_PARENT)
  });
  if (agent.cli(['pull', '-q', image]).code !== 0) throw new Error('skiff pull failed');
  pm.run(['pull', '-q', '--tls-verify=false', image]);
  const token = agent.token('operate');
  const { client, close } = connect(agent.port, token);
  cleanups.push(close);
  const httpClient = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${agent.url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });

  if (args.only !== 'logs') {
    // ---- keystroke echo --------------------------------------------------------------
    const { id } = await client.containers.run.mutate({ spec: { image, cmd: ['sleep', '3600'], network: 'none' } });
    const pmId = pm.run(['run', '-d', ...pm.runFlags, '--network', 'none', image, 'sleep', '3600']).trim();
    const echo: Record<string, number[]> = {};
    const skiffExec = async (input: 'ws' | 'http') => {
      const { sessionId } = await client.containers.exec.mutate({ id, spec: { cmd: ['sh'], tty: true, stdin: true } });
      await client.containers.sessionResize.mutate({ sessionId, rows: 50, cols: 200 });
      const send = input === 'ws' ? client : httpClient;
      const listeners: ((s: string) => void)[] = [];
      const sub = client.containers.sessionOutput.subscribe(
        { sessionId },
        {
          onData: (e) => {
            if (e.type === 'exit') return;
            for (const l of listeners) l(Buffer.from(e.data, 'base64').toString('latin1'));
          },
        },
      );
      const term: EchoTerminal = {
        write: (keys) => void send.containers.sessionInput.mutate({ sessionId, data: Buffer.from(keys, 'latin1').toString('base64') }),
        onData: (cb) => listeners.push(cb),
        close: () => sub.unsubscribe(),
      };
      return term;
    };
    const terminals: [string, () => Promise<EchoTerminal> | EchoTerminal][] = [
      ['skiff exec -it, WebSocket in + out', () => skiffExec('ws')],
      ['skiff exec -it, HTTP in + WebSocket out (dashboard)', () => skiffExec('http')],
      ['podman exec -it (pty)', () => ptyTerminal([...pm.argv, 'exec', '-it', pmId, 'sh'])],
      [
        'busybox sh on a local pty (floor)',
        () => ptyTerminal([BUSYBOX, 'sh', '-i'], { PATH: '/bin:/usr/bin', TERM: 'xterm', PS1: '/ # ' } as Record<string, string> as NodeJS.ProcessEnv),
      ],
    ];
    for (const [name, open] of terminals) {
      const term = await open();
      try {
        echo[name] = await measureEcho(term, { warmup: WARMUP, count: KEYS });
      } finally {
        term.close();
      }
    }
    const floor = median(echo['busybox sh on a local pty (floor)']!);
    const pmEcho = median(echo['podman exec -it (pty)']!);
    for (const [name, xs] of Object.entries(echo)) {
      rows.push({
        label: `echo: ${name}`,
        value: median(xs),
        unit: 'ms p50',
        extra: { 'p99 ms': percentile(xs, 99), '× podman': median(xs) / pmEcho, '× floor': median(xs) / floor },
      });
    }
    notes.push(`echo: ${KEYS} keystrokes per terminal after ${WARMUP} warm-up ones, one at a time, each timed until its echo arrives`);
    await client.containers.remove.mutate({ id, force: true });
    pm.run(['rm', '-f', '-t', '0', pmId]);
  }

  const cpu = cpuMeter(agent.daemon!.pid!);
  if (args.only !== 'echo') {
    // ---- log follow --------------------------------------------------------------------
    for (const v of LINE_VARIANTS) {
      const { total } = shape(v.len);
      const mbps: Record<string, number[]> = {};
      const record = (name: string, bytes: number, ms: number) => {
        if (process.env.STREAMS_DEBUG)
          console.log(`${v.name} ${name}: ${bytes} B in ${ms.toFixed(0)} ms; cpu ms since last: agent ${cpu.agent()}, bench ${cpu.self()}`);
        if (bytes !== total) notes.push(`${v.name}, ${name}: ${bytes} of ${total} bytes arrived`);
        (mbps[name] ??= []).push(bytes / 1e6 / (ms / 1000));
      };
      for (let run = 0; run < RUNS; run++) {
        // `skiff logs -f`: the native client (the agent runs the call), and the CLI in a Node process of its own
        for (const [follower, name, env] of [
          ['cli', 'skiff logs -f (CLI: HTTP byte stream)', {}],
          ['cli-node', 'skiff logs -f (Node CLI: HTTP byte stream)', { SKIFF_CLIENT: 'node' }],
        ] as const) {
          if (!FOLLOWERS.has(follower)) continue;
          const { id } = await client.containers.run.mutate({ spec: { image, cmd: writer(v.len), network: 'none' } });
          const r = await followProcess([SKIFF, 'logs', '-f', id], total, { ...agent.env, ...env });
          record(name, r.bytes, r.ms);
          await client.containers.remove.mutate({ id, force: true });
        }
        if (FOLLOWERS.has('trpc')) {
          const { id } = await client.containers.run.mutate({ spec: { image, cmd: writer(v.len), network: 'none' } });
          const r = await followTrpcBatches(client, id, total);
          record('skiff tRPC logChunks (dashboard)', r.bytes, r.ms);
          await client.containers.remove.mutate({ id, force: true });
        }
        if (FOLLOWERS.has('trpc-lines')) {
          const { id } = await client.containers.run.mutate({ spec: { image, cmd: writer(v.len), network: 'none' } });
          const r = await followTrpc(client, id, total);
          record('skiff tRPC logs (an event per line)', r.bytes, r.ms);
          await client.containers.remove.mutate({ id, force: true });
        }
        if (FOLLOWERS.has('docker')) {
          const { id } = await client.containers.run.mutate({ spec: { image, cmd: writer(v.len), network: 'none' } });
          const r = await followDockerApi(agent.dockerSocket, id, total);
          record('skiff Docker API /logs?follow=1', r.bytes, r.ms);
          await client.containers.remove.mutate({ id, force: true });
        }
        if (FOLLOWERS.has('podman')) {
          const pmId = pm.run(['run', '-d', ...pm.runFlags, '--network', 'none', image, ...writer(v.len)]).trim();
          const r = await followProcess([...pm.argv, 'logs', '-f', pmId], total);
          record('podman logs -f', r.bytes, r.ms);
          pm.run(['rm', '-f', '-t', '0', pmId]);
        }
        if (FOLLOWERS.has('floor')) {
          // the floor: the same writer straight into a pipe on the host
          const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-streams-'));
          const r = await followProcess([BUSYBOX, 'sh', '-c', `cd ${dir} && ${writeScript(v.len).replaceAll('/tmp/block', 'block')}`], total);
          rmSync(dir, { recursive: true, force: true });
          record('busybox writer into a host pipe (floor)', r.bytes, r.ms);
        }
      }
      const pmRate = median(mbps['podman logs -f'] ?? [NaN]);
      for (const [name, xs] of Object.entries(mbps)) {
        rows.push({ label: `logs, ${v.name}: ${name}`, value: median(xs), unit: 'MB/s', extra: { '× podman': median(xs) / pmRate, runs: xs.length } });
      }
    }
    notes.push(
      `logs: each writer produces ~${BYTES / 1e6} MB (10^6 bytes) of fixed-length lines (newline included) on stdout, a ~1 MB block of them repeated with cat; MB/s = bytes / (last byte − first byte) at the follower`,
    );
  }

  report({ name: 'streams', title: 'Streams: keystroke echo and log follow', rows, notes });
} finally {
  await cleanup();
}
process.exit(0);

function connect(port: number, token: string) {
  class Authed extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const ws = createWSClient({ url: `ws://127.0.0.1:${port}/trpc`, WebSocket: Authed as unknown as typeof globalThis.WebSocket });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
  return { client, close: () => ws.close() };
}

type Client = ReturnType<typeof connect>['client'];

/** counts bytes until `total` arrived or the stream stalled; first to last byte */
function byteCounter(total: number, stop: () => void) {
  let bytes = 0;
  let first = 0;
  let last = 0;
  let done: ((r: { bytes: number; ms: number }) => void) | undefined;
  const result = new Promise<{ bytes: number; ms: number }>((resolve) => (done = resolve));
  const finish = () => {
    clearInterval(stall);
    stop();
    done?.({ bytes, ms: last - first });
    done = undefined;
  };
  const started = performance.now();
  const stall = setInterval(() => performance.now() - (last || started) > STALL_MS && finish(), 500);
  return {
    result,
    finish,
    add(n: number) {
      last = performance.now();
      if (!first) first = last;
      bytes += n;
      if (bytes >= total) finish();
    },
  };
}

/** a follow from the start through the batched tRPC subscription the dashboard uses, counting the lines' bytes */
function followTrpcBatches(client: Client, id: string, total: number): Promise<{ bytes: number; ms: number }> {
  const counter = byteCounter(total, () => sub.unsubscribe());
  const sub = client.containers.logChunks.subscribe(
    { id, options: { follow: true } },
    {
      onData: (batch) => {
        let n = 0;
        for (const c of batch) n += Buffer.byteLength(c.text);
        counter.add(n);
      },
      onComplete: counter.finish,
      onError: counter.finish,
    },
  );
  return counter.result;
}

/** the same through the per-line `containers.logs` subscription */
function followTrpc(client: Client, id: string, total: number): Promise<{ bytes: number; ms: number }> {
  const counter = byteCounter(total, () => sub.unsubscribe());
  const sub = client.containers.logs.subscribe(
    { id, options: { follow: true } },
    { onData: (e) => counter.add(Buffer.byteLength(e.line)), onComplete: counter.finish, onError: counter.finish },
  );
  return counter.result;
}

/** the Docker Engine API's multiplexed log stream (8-byte frame headers) */
function followDockerApi(socketPath: string, id: string, total: number): Promise<{ bytes: number; ms: number }> {
  const counter = byteCounter(total, () => req.destroy());
  const req = request({ socketPath, path: `/v1.47/containers/${id}/logs?follow=1&stdout=1&stderr=1` }, (res) => {
    let headerLeft = 8;
    let payloadLeft = 0;
    const header = Buffer.alloc(8);
    res.on('data', (d: Buffer) => {
      let i = 0;
      while (i < d.length) {
        if (!payloadLeft && headerLeft === 8 && i + 8 <= d.length) {
          // the usual case: a whole header in this chunk
          payloadLeft = d.readUInt32BE(i + 4);
          i += 8;
        } else if (payloadLeft) {
          const n = Math.min(payloadLeft, d.length - i);
          payloadLeft -= n;
          counter.add(n);
          i += n;
        } else {
          const n = Math.min(headerLeft, d.length - i);
          d.copy(header, 8 - headerLeft, i, i + n);
          headerLeft -= n;
          i += n;
          if (!headerLeft) {
            payloadLeft = header.readUInt32BE(4);
            headerLeft = 8;
          }
        }
      }
    });
    res.on('end', counter.finish);
    res.on('error', counter.finish);
  });
  req.on('error', counter.finish);
  req.end();
  return counter.result;
}

/** a process's stdout (skiff logs -f, podman logs -f, the floor's pipe) */
function followProcess(argv: string[], total: number, env?: NodeJS.ProcessEnv): Promise<{ bytes: number; ms: number }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  const counter = byteCounter(total, () => child.kill('SIGKILL'));
  child.stdout.on('data', (d: Buffer) => counter.add(d.length));
  child.on('error', counter.finish);
  child.on('close', counter.finish);
  return counter.result;
}

/** CPU ms used since the previous call, by the agent (its process tree's main node) and by this process */
function cpuMeter(agentPid: number) {
  const ticks = (pid: number) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  };
  // the wrapper script execs node, so the daemon's pid is node's
  let a = ticks(agentPid);
  let b = process.cpuUsage();
  return {
    agent() {
      const now = ticks(agentPid);
      const d = now - a;
      a = now;
      return d.toFixed(0);
    },
    self() {
      const d = process.cpuUsage(b);
      b = process.cpuUsage();
      return ((d.user + d.system) / 1000).toFixed(0);
    },
  };
}

/** SIGTERM first, so an agent run with --cpu-prof writes its profile */
async function gracefulStop(agent: AgentHarness): Promise<void> {
  const d = agent.daemon;
  if (!d || d.exitCode !== null) return;
  // the harness removes containers over the socket first, so stop only after that
  const ids = agent.cli(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) agent.cli(['rm', '-f', ...ids]);
  const exited = new Promise((r) => d.once('exit', r));
  d.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}
