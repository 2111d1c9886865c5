import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { logger } from '@skiff/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertError, CertificateManager, certificateManagerFromEnv, normalizeDomain, renewalDue } from '../src/index.ts';
import { type Issued, makeCa, makeLeaf } from './x509.ts';

/**
 * The certificate store and uploads against hostile input: mismatched keys, expired and
 * foreign certificates, bad chains, huge PEM, symlinks planted in the directory, crash
 * leftovers and a full disk. No ACME here (see acme.test.ts).
 */

const roots: string[] = [];
const managers: CertificateManager[] = [];
let ca: Issued;
let intermediate: Issued;

function newRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-certs-'));
  roots.push(d);
  return d;
}

async function started(dir: string, opts: { selfSigned?: boolean } = {}): Promise<CertificateManager> {
  const m = new CertificateManager({ dir, logger, ...opts });
  managers.push(m);
  await m.start();
  return m;
}

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected CertError ${code}`).toBeInstanceOf(CertError);
  expect((e as CertError).code).toBe(code);
}

const DAY = 24 * 3600_000;

beforeAll(async () => {
  ca = await makeCa();
  intermediate = await makeCa('Skiff test intermediate');
});

afterAll(async () => {
  for (const m of managers) await m.close();
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

describe('domain names', () => {
  it('canonicalises hostnames and refuses everything else', () => {
    expect(normalizeDomain('Example.COM.')).toBe('example.com');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
    expect(normalizeDomain('*.example.com', { allowWildcard: true })).toBe('*.example.com');
    const bad = [
      '',
      'localhost',
      '127.0.0.1',
      '1.2.3.4',
      '0x7f.1',
      '::1',
      '[::1]',
      '*.example.com',
      'a.*.example.com',
      'exa mple.com',
      'example.com/evil',
      'user@example.com',
      'example.com:443',
      '-a.example.com',
      'a-.example.com',
      'a..example.com',
      `${'a'.repeat(64)}.example.com`,
      `${'abcdefghi.'.repeat(26)}com`,
      'x'.repeat(100_000),
      '../../etc/passwd',
      'a_b.example.com',
      'example.com\n',
    ];
    for (const name of bad) expect(() => normalizeDomain(name), JSON.stringify(name.slice(0, 40))).toThrow(CertError);
    expect(() => normalizeDomain(42)).toThrow(CertError);
    expect(() => normalizeDomain('*.*.example.com', { allowWildcard: true })).toThrow(CertError);
  });
});

describe('renewal decision', () => {
  it('renews with 30 days left, or a third of the lifetime for short certificates', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    // Let's Encrypt's 90 days: due after day 60
    expect(renewalDue(t0, t0 + 90 * DAY, t0 + 59 * DAY)).toBe(false);
    expect(renewalDue(t0, t0 + 90 * DAY, t0 + 61 * DAY)).toBe(true);
    // a year: still 30 days before the end, not a third
    expect(renewalDue(t0, t0 + 365 * DAY, t0 + 300 * DAY)).toBe(false);
    expect(renewalDue(t0, t0 + 365 * DAY, t0 + 336 * DAY)).toBe(true);
    // 6 days: due with 2 days left
    expect(renewalDue(t0, t0 + 6 * DAY, t0 + 3.9 * DAY)).toBe(false);
    expect(renewalDue(t0, t0 + 6 * DAY, t0 + 4.1 * DAY)).toBe(true);
    // expired, or nonsense dates
    expect(renewalDue(t0, t0 + 90 * DAY, t0 + 91 * DAY)).toBe(true);
    expect(renewalDue(t0 + DAY, t0, t0)).toBe(true);
  });
});

describe('uploads', () => {
  it('installs a custom chain, serves it by SNI (wildcards one label deep) and survives a restart', async () => {
    const dir = join(newRoot(), 'certs');
    const m = await started(dir);
    const leaf = await makeLeaf(intermediate, ['shop.example.com']);
    await m.upload('Shop.Example.com', leaf.certPem + intermediate.certPem, leaf.keyPem);
    const wild = await makeLeaf(ca, ['*.apps.example.com']);
    await m.upload('*.apps.example.com', wild.certPem, wild.keyPem);
    expect(m.list().map((i) => [i.domain, i.source, i.status])).toEqual([
      ['*.apps.example.com', 'custom', 'valid'],
      ['shop.example.com', 'custom', 'valid'],
    ]);
    expect(m.secureContext('SHOP.example.com')).toBeDefined();
    expect(m.secureContext('one.apps.example.com')).toBeDefined();
    expect(m.secureContext('two.one.apps.example.com')).toBeUndefined();
    expect(m.secureContext('other.example.com')).toBeUndefined();
    expect(m.secureContext('127.0.0.1')).toBeUndefined();
    expect(statSync(join(dir, 'domains', '_.apps.example.com.json')).mode & 0o777).toBe(0o600);
    // a custom wildcard covers its names: ensure() neither issues nor adds a placeholder
    await m.ensure(['one.apps.example.com']);
    expect(m.secureContext('one.apps.example.com')).toBe(m.secureContext('x.apps.example.com'));

    const m2 = await started(dir);
    expect(m2.list().find((i) => i.domain === 'shop.example.com')).toMatchObject({ source: 'custom', status: 'valid' });
    await m2.remove('shop.example.com');
    expect(m2.secureContext('shop.example.com')).toBeUndefined();
    expect(existsSync(join(dir, 'domains', 'shop.example.com.json'))).toBe(false);
  });

  it('refuses a key that does not match, an expired or foreign certificate, a bad chain and huge PEM', async () => {
    const m = await started(join(newRoot(), 'certs'));
    const good = await makeLeaf(ca, ['good.example.com']);
    const other = await makeLeaf(ca, ['good.example.com']);
    await refused(m.upload('good.example.com', good.certPem, other.keyPem), 'key-mismatch');
    const expired = await makeLeaf(ca, ['good.example.com'], { notBefore: new Date(Date.now() - 90 * DAY), notAfter: new Date(Date.now() - DAY) });
    await refused(m.upload('good.example.com', expired.certPem, expired.keyPem), 'expired');
    const future = await makeLeaf(ca, ['good.example.com'], { notBefore: new Date(Date.now() + 30 * DAY), notAfter: new Date(Date.now() + 90 * DAY) });
    await refused(m.upload('good.example.com', future.certPem, future.keyPem), 'not-yet-valid');
    const foreign = await makeLeaf(ca, ['evil.example.net']);
    await refused(m.upload('good.example.com', foreign.certPem, foreign.keyPem), 'name-mismatch');
    // a wildcard certificate does not cover the wildcard's parent, nor two labels deep
    const wild = await makeLeaf(ca, ['*.example.com']);
    await refused(m.upload('example.com', wild.certPem, wild.keyPem), 'name-mismatch');
    await refused(m.upload('a.b.example.com', wild.certPem, wild.keyPem), 'name-mismatch');
    // issuer before leaf, or an unrelated "intermediate"
    const chained = await makeLeaf(intermediate, ['good.example.com']);
    await refused(m.upload('good.example.com', intermediate.certPem + chained.certPem, chained.keyPem), 'key-mismatch');
    await refused(m.upload('good.example.com', chained.certPem + ca.certPem, chained.keyPem), 'bad-chain');
    // a 10 MB chain and key are refused before parsing
    const huge = good.certPem.repeat(Math.ceil(10_000_000 / good.certPem.length));
    const t0 = Date.now();
    await refused(m.upload('good.example.com', huge, good.keyPem), 'too-large');
    await refused(m.upload('good.example.com', good.certPem, `${good.keyPem}${'A'.repeat(10_000_000)}`), 'too-large');
    expect(Date.now() - t0).toBeLessThan(2000);
    await refused(m.upload('good.example.com', good.certPem.repeat(9), good.keyPem), 'too-large');
    // not a certificate / not an unencrypted key / garbage
    await refused(m.upload('good.example.com', good.keyPem, good.keyPem), 'invalid-pem');
    await refused(m.upload('good.example.com', good.certPem, good.certPem), 'invalid-pem');
    await refused(m.upload('good.example.com', good.certPem, good.keyPem.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY')), 'invalid-pem');
    await refused(m.upload('good.example.com', good.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n'), good.keyPem), 'invalid-pem');
    await refused(m.upload('good.example.com', 42 as unknown as string, good.keyPem), 'invalid-pem');
    await refused(m.upload('127.0.0.1', good.certPem, good.keyPem), 'invalid-domain');
    await refused(m.upload('../../etc/x', good.certPem, good.keyPem), 'invalid-domain');
    expect(m.list()).toEqual([]);
    await m.upload('good.example.com', good.certPem, good.keyPem);
    expect(m.list()).toHaveLength(1);
  });
});

describe('the certificate directory', () => {
  it('never follows a symlink planted in it', async () => {
    const root = newRoot();
    const dir = join(root, 'certs');
    const m = await started(dir);
    const leaf = await makeLeaf(ca, ['planted.example.com']);
    await m.upload('planted.example.com', leaf.certPem, leaf.keyPem);
    // a valid stored certificate outside the directory, linked in under its own name
    const outsideDir = join(root, 'outside');
    const linked = await makeLeaf(ca, ['linked.example.com']);
    await (await started(outsideDir)).upload('linked.example.com', linked.certPem, linked.keyPem);
    symlinkSync(join(outsideDir, 'domains', 'linked.example.com.json'), join(dir, 'domains', 'linked.example.com.json'));
    symlinkSync('/etc/shadow', join(dir, 'domains', 'shadow.example.com.json'));
    symlinkSync('/dev/zero', join(dir, 'domains', 'zero.example.com.json'));
    const m2 = await started(dir);
    expect(m2.list().map((i) => i.domain)).toEqual(['planted.example.com']);
    expect(m2.secureContext('linked.example.com')).toBeUndefined();

    // writing through a planted link replaces the link, never the file it points to
    const victim = join(root, 'victim');
    writeFileSync(victim, 'precious');
    const other = await makeLeaf(ca, ['victim.example.com']);
    symlinkSync(victim, join(dir, 'domains', 'victim.example.com.json'));
    await m2.upload('victim.example.com', other.certPem, other.keyPem);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(dir, 'domains', 'victim.example.com.json')).isFile()).toBe(true);

    // a planted account key link, and the directory itself as a link, stop the start
    const linkedKeyDir = join(newRoot(), 'certs');
    mkdirSync(linkedKeyDir, { mode: 0o700 });
    symlinkSync('/etc/shadow', join(linkedKeyDir, 'account-key.pem'));
    const acme = new CertificateManager({ dir: linkedKeyDir, logger, acme: { directoryUrl: 'https://127.0.0.1:1/dir' } });
    await refused(acme.start(), 'unsafe-path');
    const linkedDir = join(newRoot(), 'certs');
    symlinkSync(join(root, 'certs'), linkedDir);
    await refused(new CertificateManager({ dir: linkedDir, logger }).start(), 'unsafe-path');
  });

  it('tightens loose permissions, sweeps crash leftovers and skips corrupt files', async () => {
    const dir = join(newRoot(), 'certs');
    mkdirSync(join(dir, 'domains'), { recursive: true, mode: 0o755 });
    execFileSync('chmod', ['0755', dir, join(dir, 'domains')]);
    const leaf = await makeLeaf(ca, ['ok.example.com']);
    const m = await started(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'domains')).mode & 0o777).toBe(0o700);
    await m.upload('ok.example.com', leaf.certPem, leaf.keyPem);
    const good = readFileSync(join(dir, 'domains', 'ok.example.com.json'), 'utf8');
    writeFileSync(join(dir, 'domains', '.tmp-half.example.com.json-abc'), good.slice(0, 100));
    writeFileSync(join(dir, 'domains', 'half.example.com.json'), good.replace(/ok\.example/g, 'half.example').slice(0, good.length / 2));
    writeFileSync(join(dir, 'domains', 'moved.example.com.json'), good);
    const m2 = await started(dir);
    expect(m2.list().map((i) => i.domain)).toEqual(['ok.example.com']);
    expect(readdirSync(join(dir, 'domains')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('keeps the old certificate when the disk is full', async () => {
    const mnt = newRoot();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'skiff-certs-test', mnt]);
    try {
      const dir = join(mnt, 'certs');
      const m = await started(dir);
      const first = await makeLeaf(ca, ['full.example.com']);
      await m.upload('full.example.com', first.certPem, first.keyPem);
      // fill the filesystem to the last block
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
      } catch (e) {
        expect((e as { status: number }).status).toBe(1);
      }
      // larger than the first (two pages): a write in place would tear it half-way
      const second = await makeLeaf(ca, ['full.example.com', ...Array.from({ length: 120 }, (_, i) => `alias-${i}.full.example.com`)]);
      const e = await m.upload('full.example.com', second.certPem, second.keyPem).then(
        () => undefined,
        (err: unknown) => err as NodeJS.ErrnoException,
      );
      expect(e?.code).toBe('ENOSPC');
      const serial = new X509Certificate(first.certPem).serialNumber.toLowerCase();
      expect(m.list()[0]?.serial).toBe(serial);
      expect(readdirSync(join(dir, 'domains'))).toEqual(['full.example.com.json']);
      const m2 = await started(dir);
      expect(m2.list()[0]).toMatchObject({ domain: 'full.example.com', serial, status: 'valid' });
    } finally {
      for (const m of managers.splice(0)) await m.close();
      execFileSync('umount', [mnt]);
    }
  });
});

describe('without ACME', () => {
  it('serves a self-signed placeholder and says that only an upload helps', async () => {
    const m = await started(join(newRoot(), 'certs'));
    await m.ensure(['pending.example.com']);
    expect(m.list()).toMatchObject([{ domain: 'pending.example.com', source: 'self-signed', status: 'no-acme' }]);
    expect(m.secureContext('pending.example.com')).toBeDefined();
    await refused(m.ensure(['*.example.com']), 'invalid-domain');
    await refused(m.ensure(['ok.example.com', '10.0.0.1']), 'invalid-domain');
    await refused(m.ensure(Array.from({ length: 101 }, (_, i) => `n${i}.example.com`)), 'invalid-domain');
    expect(m.list()).toHaveLength(1);
    const off = await started(join(newRoot(), 'certs'), { selfSigned: false });
    await off.ensure(['pending.example.com']);
    expect(off.secureContext('pending.example.com')).toBeUndefined();
  });

  it('renews an old placeholder and marks an expired upload, by its clock', async () => {
    let offset = 0;
    const m = new CertificateManager({ dir: join(newRoot(), 'certs'), logger, now: () => Date.now() + offset, checkIntervalMs: 100 });
    managers.push(m);
    await m.start();
    await m.ensure(['waiting.example.com']);
    const leaf = await makeLeaf(ca, ['shop.example.com'], { notAfter: new Date(Date.now() + 40 * DAY) });
    await m.upload('shop.example.com', leaf.certPem, leaf.keyPem);
    const before = m.list().find((i) => i.domain === 'waiting.example.com');
    offset = 45 * DAY;
    const deadline = Date.now() + 10_000;
    let after = before;
    while (after?.serial === before?.serial && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = m.list().find((i) => i.domain === 'waiting.example.com');
    }
    expect(after?.serial).not.toBe(before?.serial);
    expect(Date.parse(after?.notAfter ?? '')).toBeGreaterThan(Date.now() + offset);
    expect(m.list().find((i) => i.domain === 'shop.example.com')?.status).toBe('expired');
  });

  it('is configured from the environment and refuses malformed values', () => {
    const root = newRoot();
    expect(certificateManagerFromEnv(root, logger, {}).list()).toEqual([]);
    expect(() => certificateManagerFromEnv(root, logger, { SKIFF_ACME_DIRECTORY: 'http://acme.example/dir' })).toThrow();
    expect(() => certificateManagerFromEnv(root, logger, { SKIFF_ACME_DIRECTORY: 'https://acme.example/dir', SKIFF_ACME_EMAIL: 'not an email' })).toThrow();
    expect(certificateManagerFromEnv(root, logger, { SKIFF_ACME_DIRECTORY: 'https://acme.example/dir', SKIFF_ACME_EMAIL: 'a@example.org' })).toBeInstanceOf(
      CertificateManager,
    );
  });
});
