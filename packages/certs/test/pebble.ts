import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { get } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChallengeSource } from '../src/index.ts';

/**
 * Let's Encrypt's ACME test server from Debian (`pebble`), run as a child on free
 * 127.0.0.1 ports, with `pebble-challtestsrv` as its DNS server: every name resolves to
 * 127.0.0.1, so HTTP-01 validation connects to the challenge server the test runs on
 * Pebble's httpPort.
 */
export interface Pebble {
  directoryUrl: string;
  /** the CA that signed Pebble's own HTTPS certificate (the manager's caBundle) */
  caBundle: string;
  httpPort: number;
  /** Pebble's issuing root, for verifying issued chains (regenerated per launch) */
  issuingRoot(): Promise<string>;
  /** Pebble's management view of a certificate: 'Valid' or 'Revoked' */
  certStatus(serial: string): Promise<string>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** certificateValidityPeriod in seconds (Pebble's default is 5 years) */
  validitySeconds?: number;
  domainBlocklist?: string[];
}

/** a test worker killed mid-run (timeout, ^C) must not leave Pebble running: PR_SET_PDEATHSIG */
const DIE_WITH_PARENT = ['--pdeathsig', 'KILL', '--'];

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** a throw-away CA and a localhost certificate for Pebble's listener (Debian ships none) */
function listenerCert(dir: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=skiff test Pebble listener CA',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'srv.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext'], dir);
}

function fetchText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function startPebble(opts: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pebble-'));
  listenerCert(dir);
  const [acmePort, mgmtPort, httpPort, dnsPort, ctsMgmtPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort,
      tlsPort: 0,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      ...(opts.domainBlocklist ? { domainBlocklist: opts.domainBlocklist } : {}),
    },
  };
  writeFileSync(join(dir, 'pebble.json'), JSON.stringify(config));
  let log = '';
  const collect = (p: ChildProcess) => {
    p.stdout?.on('data', (c: Buffer) => {
      log += c.toString();
    });
    p.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
    });
  };
  const dns = spawn(
    'setpriv',
    [
      ...DIE_WITH_PARENT,
      'pebble-challtestsrv',
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${ctsMgmtPort}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  collect(dns);
  // no sleeps between validation attempts, no authorization reuse (each order validates),
  // no injected bad nonces (acme-client retries them, but a test should not depend on it)
  const pebble = spawn('setpriv', [...DIE_WITH_PARENT, 'pebble', '-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_AUTHZREUSE: '0', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  collect(pebble);
  const caBundle = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const stop = async () => {
    for (const p of [pebble, dns]) {
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (pebble.exitCode !== null || dns.exitCode !== null) {
      await stop();
      throw new Error(`pebble exited early:\n${log}`);
    }
    const ok = await fetchText(directoryUrl, caBundle).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pebble did not come up:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    directoryUrl,
    caBundle,
    httpPort,
    issuingRoot: async () => (await fetchText(`https://127.0.0.1:${mgmtPort}/roots/0`, caBundle)).body,
    certStatus: async (serial) => {
      const r = await fetchText(`https://127.0.0.1:${mgmtPort}/cert-status-by-serial/${serial}`, caBundle);
      return r.status === 200 ? (JSON.parse(r.body) as { Status: string }).Status : `HTTP ${r.status}`;
    },
    logs: () => log,
    stop,
  };
}

/**
 * The HTTP-01 responder the proxy will be: GET /.well-known/acme-challenge/TOKEN → the
 * key authorization from a ChallengeSource. Hosts in `refuse` get 404 (a failed
 * validation); every request is counted per host.
 */
export interface ChallengeServer {
  refuse: Set<string>;
  /** hosts whose answers wait this many ms (an order held in flight) */
  delay: Map<string, number>;
  tokens: Map<string, Set<string>>;
  close(): Promise<void>;
}

export async function startChallengeServer(port: number, source: () => ChallengeSource | undefined): Promise<ChallengeServer> {
  const refuse = new Set<string>();
  const delay = new Map<string, number>();
  const tokens = new Map<string, Set<string>>();
  const srv: Server = createHttpServer(async (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    if (m) tokens.set(host, (tokens.get(host) ?? new Set()).add(m[1] as string));
    await new Promise((r) => setTimeout(r, delay.get(host) ?? 0));
    const answer = m && !refuse.has(host) ? source()?.keyAuthorization(m[1] as string) : undefined;
    res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' }).end(answer ?? 'not found');
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return { refuse, delay, tokens, close: () => new Promise((r) => srv.close(() => r())) };
}
