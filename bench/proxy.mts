/**
 * The apps' reverse proxy: requests/s and p99 latency through the Skiff proxy and through
 * nginx from Debian, both proxying the same upstream (an nginx answering a fixed 13-byte
 * body over keep-alive, so the upstream is never what is measured), loaded by autocannon.
 * Every variant runs `--runs` times, interleaved in rounds; the medians are reported, and
 * the ratios are the median of each round's own ratio (the host is shared: a round's
 * variants ran seconds apart, under about the same load).
 *
 * Usage (root): npx tsx bench/proxy.mts [--duration S] [--connections N] [--runs N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { freePort } from '@skiff/test-fixtures';
import { cleanup, cleanups } from './lib/cleanups.mjs';
import { ensureDebian } from './lib/peers.mjs';
import { median, report, type Row } from './lib/report.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    runs: { type: 'string', default: '7' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const RUNS = Number(args.runs);
const HOST = 'bench.test';
/** the agent's V8 flags (apps/agent/bin/skiff): the proxy runs inside the agent */
const AGENT_FLAGS = ['--max-semi-space-size=2', '--initial-old-space-size=48', '--heap-growing-percent=50'];

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-proxy-'));
cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

/** a child that prints `ready` (or, for nginx, is ready once its port answers); stopped by PID at cleanup */
async function child(name: string, cmd: string, argv: string[], readyPort?: number): Promise<ChildProcess> {
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(timer);
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
    if (readyPort !== undefined) {
      const poll = async () => {
        for (let i = 0; i < 300; i++) {
          const ok = await fetch(`http://127.0.0.1:${readyPort}/`, { headers: { host: HOST } }).then(
            (r) => r.status === 200,
            () => false,
          );
          if (ok) return resolve();
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll().finally(() => clearTimeout(timer));
    }
  });
  return p;
}

/** an nginx master in the foreground with a config of its own in the bench's temp dir */
async function nginx(name: string, port: number, server: string, workers: number | 'auto'): Promise<void> {
  const d = join(dir, name);
  mkdirSync(d);
  const conf = join(d, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${d}/${t};`).join(' ');
  writeFileSync(
    conf,
    `user root; worker_processes ${workers}; daemon off; pid ${d}/nginx.pid; error_log ${d}/error.log warn;
events { worker_connections 4096; }
http { access_log off; ${temp} keepalive_requests 1000000;
${server} }
`,
  );
  await child(name, 'nginx', ['-c', conf, '-p', d], port);
}

async function measure(port: number): Promise<Result> {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: DURATION, headers: { host: HOST } });
}

async function main(): Promise<void> {
  ensureDebian({ nginx: 'nginx-light' });
  const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
  const upstream = await freePort();
  await nginx('upstream', upstream, `server { listen 127.0.0.1:${upstream}; location / { return 200 "hello world\\n"; } }`, 1);
  const proxyConf = (port: number) => `upstream app { server 127.0.0.1:${upstream}; keepalive 64; }
server { listen 127.0.0.1:${port}; server_name ${HOST};
  location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host; } }`;
  const targets: { label: string; port: number }[] = [];
  const add = async (label: string, start: (port: number) => Promise<unknown>) => {
    const port = await freePort();
    await start(port);
    targets.push({ label, port });
  };
  const script = join(import.meta.dirname, 'lib', 'proxy-child.mts');
  await add('skiff proxy (agent V8 flags)', (port) =>
    child('skiff proxy', process.execPath, [...AGENT_FLAGS, '--import', 'tsx', script, String(port), String(upstream)]),
  );
  await add('skiff proxy (Node defaults)', (port) => child('skiff proxy', process.execPath, ['--import', 'tsx', script, String(port), String(upstream)]));
  await add('nginx, 1 worker', (port) => nginx('proxy1', port, proxyConf(port), 1));
  await add('nginx, 1 worker per CPU', (port) => nginx('proxyN', port, proxyConf(port), 'auto'));
  await add('upstream direct (no proxy)', async () => undefined);
  targets[targets.length - 1]!.port = upstream;

  const results = new Map<string, Result[]>(targets.map((t) => [t.label, []]));
  for (const t of targets) await autocannon({ url: `http://127.0.0.1:${t.port}/`, connections: CONNECTIONS, duration: 2, headers: { host: HOST } }); // warm-up
  for (let run = 0; run < RUNS; run++) {
    for (const t of targets) {
      const r = await measure(t.port);
      if (r.errors || r.non2xx) throw new Error(`${t.label}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
      results.get(t.label)!.push(r);
      console.error(`run ${run + 1}/${RUNS} ${t.label}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms`);
    }
  }
  const rps = (label: string) => median(results.get(label)!.map((r) => r.requests.average));
  const p99 = (label: string) => median(results.get(label)!.map((r) => r.latency.p99));
  const ref = 'nginx, 1 worker';
  /** the median over rounds of this target's number divided by nginx's in the same round */
  const ratio = (label: string, of: (r: Result) => number) => median(results.get(label)!.map((r, i) => of(r) / of(results.get(ref)![i]!)));
  const rows: Row[] = targets.map((t) => ({
    label: t.label,
    value: rps(t.label),
    unit: 'req/s',
    extra: {
      'p99 ms': p99(t.label),
      'p50 ms': median(results.get(t.label)!.map((r) => r.latency.p50)),
      'req/s x nginx': ratio(t.label, (r) => r.requests.average),
      'p99 x nginx': ratio(t.label, (r) => r.latency.p99),
    },
  }));
  report({
    name: 'proxy',
    title: `Reverse proxy: ${CONNECTIONS} keep-alive connections, ${DURATION} s a run, median of ${RUNS} runs`,
    rows,
    notes: [
      `upstream: nginx (1 worker) answering a fixed body; proxies keep upstream connections alive; ${nginxVersion}`,
      'autocannon, the proxy and the upstream share the host’s CPUs',
    ],
  });
}

try {
  await main();
} finally {
  await cleanup();
}
