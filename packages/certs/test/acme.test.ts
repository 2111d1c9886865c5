import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { logger } from '@skiff/logger';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateManager, type CertificateInfo } from '../src/index.ts';
import { type ChallengeServer, type Pebble, startChallengeServer, startPebble } from './pebble.ts';
import { makeCa, makeLeaf } from './x509.ts';

/**
 * The real ACME flow against Pebble (Let's Encrypt's test CA): HTTP-01 issuance, renewal of
 * short-lived certificates, failed validation, a CA-rejected name, a failed renewal that
 * keeps the old certificate, and a restart that reloads from disk.
 */

/** Pebble issues 30-second certificates: renewal is due with 10 s left (a third of the life) */
const VALIDITY_S = 30;
const run = randomBytes(3).toString('hex');
const host = (label: string) => `${label}-${run}.skiff.test`;
const BLOCKED = host('blocked');

let pebble: Pebble;
let challenges: ChallengeServer;
let current: CertificateManager | undefined;
const dirs: string[] = [];
const managers: CertificateManager[] = [];
const servers: Server[] = [];

function manager(dir: string, extra: { checkIntervalMs?: number; email?: string; retryBaseMs?: number } = {}): CertificateManager {
  const { email = 'admin@example.org', ...rest } = extra;
  const m = new CertificateManager({
    dir,
    acme: { directoryUrl: pebble.directoryUrl, email: email || undefined, caBundle: pebble.caBundle },
    logger,
    retryBaseMs: 1000,
    retryMaxMs: 2000,
    ...rest,
    ...(rest.retryBaseMs ? { retryMaxMs: rest.retryBaseMs } : {}),
  });
  managers.push(m);
  current = m;
  return m;
}

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-certs-acme-'));
  dirs.push(d);
  return join(d, 'certs');
}

async function until(m: CertificateManager, domain: string, ok: (i: CertificateInfo) => boolean, ms = 60_000): Promise<CertificateInfo> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = m.list().find((i) => i.domain === domain);
    if (info && ok(info)) return info;
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${domain}: ${JSON.stringify(info)}\n${pebble.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** a TLS server that picks its certificate from the manager, as the proxy does */
async function tlsServer(m: CertificateManager): Promise<number> {
  const srv = createServer({ SNICallback: (name, cb) => cb(null, m.secureContext(name)) }, (s) => s.end('ok'));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

async function handshake(port: number, servername: string, ca?: string): Promise<{ authorized: boolean; error?: string; serial: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ port, host: '127.0.0.1', servername, ca, rejectUnauthorized: false }, () => {
      const peer = s.getPeerCertificate();
      resolve({
        authorized: s.authorized,
        error: s.authorizationError?.toString(),
        serial: peer.serialNumber.toLowerCase(),
        subject: JSON.stringify(peer.subject),
      });
      s.destroy();
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  pebble = await startPebble({ validitySeconds: VALIDITY_S, domainBlocklist: [BLOCKED] });
  challenges = await startChallengeServer(pebble.httpPort, () => current);
}, 90_000);

afterAll(async () => {
  for (const m of managers) await m.close();
  for (const s of servers) s.close();
  await challenges?.close();
  await pebble?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ACME against Pebble', () => {
  it('issues over HTTP-01, serves the chain, stores it privately and reloads it after a restart', async () => {
    const dir = newDir();
    // no contact address: the account is found again after the restart by its stored URL;
    // no retry within the test, so any failed attempt fails it
    const m = manager(dir, { email: '', retryBaseMs: 600_000 });
    await m.start();
    const a = host('a');
    // five concurrent requests for one name make one order (one challenge token)
    await Promise.all([m.ensure([a]), m.ensure([a, a]), m.ensure([a.toUpperCase()]), m.ensure([`${a}.`]), m.ensure([a])]);
    const info = await until(m, a, (i) => i.status === 'valid');
    expect(info.source).toBe('acme');
    expect(info.issuer).toMatch(/Pebble Intermediate/);
    expect(info.names).toEqual([a]);
    expect(challenges.tokens.get(a)?.size).toBe(1);

    const port = await tlsServer(m);
    const root = await pebble.issuingRoot();
    const hs = await handshake(port, a, root);
    expect(hs.error).toBeUndefined();
    expect(hs.authorized).toBe(true);
    expect(hs.serial).toBe(info.serial);

    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'domains')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'domains', `${a}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'account-key.pem')).mode & 0o777).toBe(0o600);
    const accountKey = statSync(join(dir, 'account-key.pem')).ino;

    // restart: the stored certificate is served again without a new order
    await m.close();
    const m2 = manager(dir, { email: '', retryBaseMs: 600_000 });
    await m2.start();
    const again = m2.list().find((i) => i.domain === a);
    expect(again).toMatchObject({ source: 'acme', serial: info.serial, status: 'valid' });
    await m2.ensure([a]);
    expect(challenges.tokens.get(a)?.size).toBe(1);
    expect(statSync(join(dir, 'account-key.pem')).ino).toBe(accountKey);
    const port2 = await tlsServer(m2);
    expect((await handshake(port2, a, root)).serial).toBe(info.serial);

    // revoked at the CA (a real ACME revokeCert with the stored account key): removing the
    // certificate and ensuring the name again brings a new one
    const stored = JSON.parse(readFileSync(join(dir, 'domains', `${a}.json`), 'utf8')) as { certPem: string };
    const client = new acme.Client({ directoryUrl: pebble.directoryUrl, accountKey: readFileSync(join(dir, 'account-key.pem'), 'utf8') });
    await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:admin@example.org'] });
    await client.revokeCertificate(stored.certPem, { reason: 1 });
    expect(await pebble.certStatus(info.serial ?? '')).toBe('Revoked');
    await m2.remove(a);
    expect(m2.secureContext(a)).toBeUndefined();
    await m2.ensure([a]);
    const fresh = await until(m2, a, (i) => i.status === 'valid');
    expect(fresh.serial).not.toBe(info.serial);
    expect(await pebble.certStatus(fresh.serial ?? '')).toBe('Valid');
    expect((await handshake(port2, a, root)).serial).toBe(fresh.serial);
    await m2.close();
  });

  it('shows a failed validation, serves a self-signed placeholder meanwhile, and retries', async () => {
    const m = manager(newDir());
    await m.start();
    const c = host('c');
    challenges.refuse.add(c);
    await m.ensure([c]);
    const failed = await until(m, c, (i) => i.status === 'failed');
    expect(failed.lastError).toMatch(/404|unauthorized|invalid/i);
    expect(failed.failures).toBeGreaterThanOrEqual(1);
    expect(failed.source).toBe('self-signed');
    expect(Date.parse(failed.nextAttempt ?? '')).toBeGreaterThan(Date.parse(failed.lastAttempt ?? ''));
    const port = await tlsServer(m);
    const hs = await handshake(port, c);
    expect(hs.authorized).toBe(false);
    expect(hs.subject).toMatch(/placeholder/);

    // the backoff retries on its own once the challenge is answerable
    challenges.refuse.delete(c);
    const ok = await until(m, c, (i) => i.status === 'valid');
    expect(ok.source).toBe('acme');
    expect(ok.lastError).toBeUndefined();
    await m.close();
  });

  it('registers again when the CA no longer knows the stored account', async () => {
    // as after Pebble restarts (it keeps nothing) or an account is deleted at the CA
    const dir = newDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const origin = new URL(pebble.directoryUrl).origin;
    writeFileSync(join(dir, 'account.json'), JSON.stringify({ directoryUrl: pebble.directoryUrl, url: `${origin}/my-account/forgotten` }));
    const m = manager(dir);
    await m.start();
    const g = host('gone');
    await m.ensure([g]);
    const failed = await until(m, g, (i) => i.failures > 0 || i.status === 'valid');
    expect(failed.lastError).toMatch(/not known|account/i);
    await until(m, g, (i) => i.status === 'valid');
    const account = JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8')) as { url: string };
    expect(account.url).not.toMatch(/forgotten$/);
    await m.close();
  });

  it('keeps a certificate uploaded while an order is in flight, and forgets a removed name', async () => {
    const m = manager(newDir());
    await m.start();
    const [u, r] = [host('upload'), host('removed')];
    challenges.delay.set(u, 1500);
    challenges.delay.set(r, 1500);
    await m.ensure([u, r]);
    expect(m.list().map((i) => i.status)).toEqual(['issuing', 'issuing']);
    const ca = await makeCa();
    const custom = await makeLeaf(ca, [u]);
    await m.upload(u, custom.certPem, custom.keyPem);
    await m.remove(r);
    expect(m.list().find((i) => i.domain === u)?.status).toBe('renewing');
    await until(m, u, (i) => i.status === 'valid');
    // the order itself completed (the CA fetched the token), its result was discarded
    expect(challenges.tokens.get(u)?.size).toBe(1);
    await new Promise((res) => setTimeout(res, 1000));
    expect(m.list()).toMatchObject([{ domain: u, source: 'custom', status: 'valid', serial: custom.cert.serialNumber.toLowerCase() }]);
    expect(m.secureContext(r)).toBeUndefined();
    await m.close();
  });

  it('shows that the CA revoked (deactivated) the account and keeps serving what it has', async () => {
    const dir = newDir();
    const m = manager(dir);
    await m.start();
    const [x, y] = [host('before-deactivation'), host('after-deactivation')];
    await m.ensure([x]);
    const xInfo = await until(m, x, (i) => i.status === 'valid');
    const { url } = JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8')) as { url: string };
    const client = new acme.Client({ directoryUrl: pebble.directoryUrl, accountKey: readFileSync(join(dir, 'account-key.pem'), 'utf8'), accountUrl: url });
    await client.updateAccount({ status: 'deactivated' });
    await m.ensure([y]);
    const yInfo = await until(m, y, (i) => i.status === 'failed');
    expect(yInfo.lastError).toMatch(/deactivated|unauthorized|not valid/i);
    expect(yInfo.source).toBe('self-signed');
    expect(m.list().find((i) => i.domain === x)).toMatchObject({ status: 'valid', serial: xInfo.serial });
    await m.close();
  });

  it('shows a name the CA refuses, and repeated ensure() calls respect the backoff', async () => {
    const m = manager(newDir(), { retryBaseMs: 600_000 });
    await m.start();
    await m.ensure([BLOCKED]);
    const info = await until(m, BLOCKED, (i) => i.status === 'failed');
    expect(info.lastError).toMatch(/rejectedIdentifier|blocked|policy|forbidden/i);
    expect(Date.parse(info.nextAttempt ?? '') - Date.parse(info.lastAttempt ?? '')).toBeGreaterThanOrEqual(600_000);
    for (let i = 0; i < 5; i++) await m.ensure([BLOCKED]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(m.list().find((i) => i.domain === BLOCKED)).toMatchObject({ status: 'failed', failures: 1, nextAttempt: info.nextAttempt });
    await m.close();
  });

  it('renews before expiry, and a failed renewal keeps serving the old certificate', async () => {
    const m = manager(newDir(), { checkIntervalMs: 500 });
    await m.start();
    const [d, e] = [host('renew'), host('keep')];
    await m.ensure([d, e]);
    const d1 = await until(m, d, (i) => i.status === 'valid');
    const e1 = await until(m, e, (i) => i.status === 'valid');
    challenges.refuse.add(e);
    const port = await tlsServer(m);

    // with 30-second certificates renewal starts ~20 s after issuance
    const d2 = await until(m, d, (i) => i.status === 'valid' && i.serial !== d1.serial, 60_000);
    expect(Date.parse(d2.notAfter ?? '')).toBeGreaterThan(Date.parse(d1.notAfter ?? ''));
    expect((await handshake(port, d)).serial).toBe(d2.serial);

    const eFailed = await until(m, e, (i) => i.status === 'failed', 60_000);
    expect(eFailed).toMatchObject({ source: 'acme', serial: e1.serial });
    expect((await handshake(port, e)).serial).toBe(e1.serial);
    challenges.refuse.delete(e);
    const e2 = await until(m, e, (i) => i.status === 'valid' && i.serial !== e1.serial, 60_000);
    expect((await handshake(port, e)).serial).toBe(e2.serial);
    await m.close();
  });
});
