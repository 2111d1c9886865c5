import type { SecureContext } from 'node:tls';
import type { Logger } from '@skiff/logger';
import { AcmeIssuer } from './acme.ts';
import { normalizeDomain, normalizeServername, wildcardFor } from './domain.ts';
import { CertError } from './errors.ts';
import { renewalDue, retryDelay } from './renewal.ts';
import { selfSigned } from './self-signed.ts';
import { type Served, toServed } from './served.ts';
import { CertStore } from './store.ts';
import type { CertificateInfo, CertificateManagerOptions, CertificateSource, CertificateStatus, ChallengeSource } from './types.ts';

/** one ensure() call may not name more domains than this (hostile API input) */
export const MAX_DOMAINS_PER_CALL = 100;
/** orders in flight at once: Let's Encrypt limits new orders, and the host has few cores */
const MAX_CONCURRENT = 2;
const CLOSE_GRACE_MS = 5000;
const PLACEHOLDER_REFRESH_MS = 24 * 3600_000;

interface Attempt {
  failures: number;
  lastError?: string;
  lastAttempt?: number;
  nextAttempt?: number;
  timer?: NodeJS.Timeout;
}

/**
 * Serves and maintains one certificate per domain: ACME (HTTP-01) issuance in the
 * background, renewal, uploaded certificates and self-signed placeholders, all stored
 * atomically under `dir`. The proxy asks secureContext() on each handshake and
 * keyAuthorization() for each HTTP-01 request on port 80.
 */
export class CertificateManager implements CertificateSource, ChallengeSource {
  private readonly log: Logger;
  private readonly store: CertStore;
  private readonly acme?: AcmeIssuer;
  private readonly now: () => number;
  private readonly served = new Map<string, Served>();
  /** domains that should hold an ACME certificate (ensure() and reloaded ACME certificates) */
  private readonly wanted = new Set<string>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly queue: (() => void)[] = [];
  private running = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private started = false;

  constructor(private readonly opts: CertificateManagerOptions) {
    this.log = opts.logger.child({ component: 'certs' });
    this.store = new CertStore(opts.dir, this.log);
    this.now = opts.now ?? Date.now;
    if (opts.acme) this.acme = new AcmeIssuer(opts.acme, this.store, this.log);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.store.init();
    for (const stored of await this.store.loadAll()) {
      try {
        this.served.set(stored.domain, toServed(stored.domain, stored.source, stored.certPem, stored.keyPem, { now: this.now() }));
        if (stored.source === 'acme') this.wanted.add(stored.domain);
      } catch (e) {
        this.log.error('ignoring a stored certificate that no longer validates', { domain: stored.domain, err: e });
      }
    }
    if (this.acme) await this.acme.init();
    this.log.info('certificates loaded', { count: this.served.size, acme: this.opts.acme?.directoryUrl ?? 'off' });
    this.timer = setInterval(() => this.checkRenewals(), this.opts.checkIntervalMs ?? 3600_000);
    this.timer.unref();
    this.checkRenewals();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const a of this.attempts.values()) clearTimeout(a.timer);
    // queued orders start and return at once (closed), so their promises settle
    for (const start of this.queue.splice(0)) {
      this.running++;
      start();
    }
    // an order mid-poll can take minutes; it checks `closed` before saving, so the daemon
    // need not wait for it past a short grace period
    const settled = Promise.allSettled([...this.inflight.values()]);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (grace = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    this.acme?.close();
  }

  secureContext(servername: string): SecureContext | undefined {
    const name = normalizeServername(servername);
    if (!name) return undefined;
    const exact = this.served.get(name);
    if (exact) return exact.context;
    const wild = wildcardFor(name);
    return wild ? this.served.get(wild)?.context : undefined;
  }

  keyAuthorization(token: string): string | undefined {
    return this.acme?.keyAuthorization(token);
  }

  async ensure(domains: string[]): Promise<void> {
    this.assertOpen();
    if (!Array.isArray(domains) || domains.length > MAX_DOMAINS_PER_CALL) {
      throw new CertError('invalid-domain', `ensure() takes an array of at most ${MAX_DOMAINS_PER_CALL} domains`);
    }
    // all names are checked before any is acted on: one bad name refuses the whole call
    const names = [...new Set(domains.map((d) => normalizeDomain(d)))];
    for (const domain of names) {
      this.wanted.add(domain);
      const current = this.served.get(domain) ?? this.coveringCustom(domain);
      if (current && current.source !== 'self-signed' && !this.due(current)) continue;
      if (!current && this.opts.selfSigned !== false) await this.placeholder(domain);
      // a name in backoff waits for its timer: callers may ensure() on every deploy or
      // reconcile, and each early order would count against the CA's failure limit
      if (this.attempts.get(domain)?.timer) continue;
      this.schedule(domain);
    }
  }

  async upload(domain: string, certPem: string, keyPem: string): Promise<void> {
    this.assertOpen();
    const name = normalizeDomain(domain, { allowWildcard: true });
    const served = toServed(name, 'custom', certPem, keyPem, { requireCurrent: true, now: this.now() });
    await this.store.save({ domain: name, source: 'custom', certPem: served.certPem, keyPem: served.keyPem });
    this.served.set(name, served);
    this.clearAttempt(name);
    this.log.info('custom certificate installed', { domain: name, notAfter: served.facts.notAfter.toISOString() });
  }

  async remove(domain: string): Promise<void> {
    this.assertOpen();
    const name = normalizeDomain(domain, { allowWildcard: true });
    this.wanted.delete(name);
    this.clearAttempt(name);
    this.served.delete(name);
    if (await this.store.remove(name)) this.log.info('certificate removed', { domain: name });
  }

  list(): CertificateInfo[] {
    const domains = [...new Set([...this.served.keys(), ...this.wanted])].sort();
    return domains.map((domain) => {
      const s = this.served.get(domain);
      const a = this.attempts.get(domain);
      const iso = (t?: number) => (t === undefined ? undefined : new Date(t).toISOString());
      return {
        domain,
        source: s?.source,
        names: s?.facts.names ?? [],
        notBefore: s?.facts.notBefore.toISOString(),
        notAfter: s?.facts.notAfter.toISOString(),
        issuer: s?.facts.issuer,
        serial: s?.facts.serial,
        status: this.status(domain, s, a),
        lastError: a?.lastError,
        lastAttempt: iso(a?.lastAttempt),
        nextAttempt: iso(a?.nextAttempt),
        failures: a?.failures ?? 0,
      };
    });
  }

  private status(domain: string, s: Served | undefined, a: Attempt | undefined): CertificateStatus {
    if (this.inflight.has(domain)) return s && s.source !== 'self-signed' ? 'renewing' : 'issuing';
    if (a?.lastError) return 'failed';
    if (s && s.source !== 'self-signed') return s.facts.notAfter.getTime() <= this.now() ? 'expired' : 'valid';
    return this.acme ? 'pending' : 'no-acme';
  }

  private assertOpen(): void {
    if (this.closed) throw new CertError('closed', 'the certificate manager is closed');
    if (!this.started) throw new CertError('closed', 'the certificate manager is not started');
  }

  private due(s: Served): boolean {
    if (s.source !== 'acme') return s.source === 'self-signed';
    return renewalDue(s.facts.notBefore.getTime(), s.facts.notAfter.getTime(), this.now());
  }

  /** a valid uploaded wildcard covering `domain` makes ACME issuance for it unnecessary */
  private coveringCustom(domain: string): Served | undefined {
    const wild = wildcardFor(domain);
    const s = wild ? this.served.get(wild) : undefined;
    return s && s.source === 'custom' && s.facts.notAfter.getTime() > this.now() ? s : undefined;
  }

  /** installs a placeholder where `replacing` (nothing, or an old placeholder) still is */
  private async placeholder(domain: string, replacing?: Served): Promise<void> {
    const { certPem, keyPem } = await selfSigned(domain, this.now());
    // an issuance, upload or remove() may have happened while the key was generated
    if (this.served.get(domain) !== replacing || this.closed) return;
    this.served.set(domain, toServed(domain, 'self-signed', certPem, keyPem, { now: this.now() }));
  }

  /** placeholders last 30 days; one for a name that stays pending longer is made anew */
  private refreshPlaceholders(): void {
    for (const [domain, s] of this.served) {
      if (s.source !== 'self-signed' || s.facts.notAfter.getTime() - this.now() > PLACEHOLDER_REFRESH_MS) continue;
      this.placeholder(domain, s).catch((e: unknown) => this.log.error('could not renew a placeholder certificate', { domain, err: e }));
    }
  }

  /** starts (or joins) the one issuance of `domain`; runs when a concurrency slot frees up */
  private schedule(domain: string): void {
    if (!this.acme || this.closed || this.inflight.has(domain)) return;
    const a = this.attempts.get(domain);
    if (a?.timer) {
      clearTimeout(a.timer);
      a.timer = undefined;
    }
    const run = new Promise<void>((resolve) => this.queue.push(resolve))
      .then(() => this.issue(domain))
      .finally(() => {
        this.running--;
        this.inflight.delete(domain);
        this.pump();
      });
    this.inflight.set(domain, run);
    this.pump();
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT && this.queue.length > 0) {
      this.running++;
      (this.queue.shift() as () => void)();
    }
  }

  private async issue(domain: string): Promise<void> {
    const acme = this.acme;
    if (!acme || this.closed || !this.wanted.has(domain)) return;
    const attempt = this.attempts.get(domain) ?? { failures: 0 };
    this.attempts.set(domain, attempt);
    attempt.lastAttempt = this.now();
    attempt.nextAttempt = undefined;
    try {
      const { certPem, keyPem } = await acme.issue(domain);
      const served = toServed(domain, 'acme', certPem, keyPem, { requireCurrent: true, now: Date.now() });
      // remove() during the order: the certificate must not come back; an upload during
      // the order: the admin's certificate wins
      if (!this.wanted.has(domain) || this.closed || this.served.get(domain)?.source === 'custom') return;
      await this.store.save({ domain, source: 'acme', certPem: served.certPem, keyPem: served.keyPem });
      this.served.set(domain, served);
      this.attempts.delete(domain);
      this.log.info('certificate issued', { domain, serial: served.facts.serial, notAfter: served.facts.notAfter.toISOString() });
    } catch (e) {
      attempt.failures++;
      attempt.lastError = e instanceof Error ? e.message : String(e);
      const delay = retryDelay(attempt.failures, this.opts.retryBaseMs ?? 5 * 60_000, this.opts.retryMaxMs ?? 6 * 3600_000);
      attempt.nextAttempt = this.now() + delay;
      this.log.error('certificate issuance failed; the current certificate (if any) stays in service', {
        domain,
        failures: attempt.failures,
        retryInMs: delay,
        err: e,
      });
      if (!this.closed) {
        attempt.timer = setTimeout(() => this.schedule(domain), delay);
        attempt.timer.unref();
      }
    }
  }

  private clearAttempt(domain: string): void {
    clearTimeout(this.attempts.get(domain)?.timer);
    this.attempts.delete(domain);
  }

  /** renews what is due; a domain in backoff waits for its retry timer */
  private checkRenewals(): void {
    if (this.closed) return;
    this.refreshPlaceholders();
    if (!this.acme) return;
    for (const domain of this.wanted) {
      if (this.inflight.has(domain) || this.attempts.get(domain)?.timer) continue;
      const s = this.served.get(domain) ?? this.coveringCustom(domain);
      if (!s || this.due(s)) this.schedule(domain);
    }
  }
}
