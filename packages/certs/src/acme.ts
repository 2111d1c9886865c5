import { Agent } from 'node:https';
import type { Logger } from '@skiff/logger';
import * as acme from 'acme-client';
import type { CertStore } from './store.ts';
import type { AcmeOptions } from './types.ts';

/** one ACME request may not hang an issuance (and close()) forever */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The ACME side: the account key (made once, stored 0600), HTTP-01 orders through
 * acme-client, and the key authorizations the proxy serves while a challenge is open.
 */
export class AcmeIssuer {
  private readonly challenges = new Map<string, string>();
  private client?: acme.Client;
  private interceptor?: number;

  constructor(
    private readonly opts: AcmeOptions,
    private readonly store: CertStore,
    private readonly log: Logger,
  ) {}

  async init(): Promise<void> {
    let accountKey = await this.store.readAccountKey();
    if (!accountKey) {
      accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
      await this.store.writeAccountKey(accountKey);
      this.log.info('ACME account key created', { directory: this.opts.directoryUrl });
    }
    this.scopeHttp();
    this.client = new acme.Client({ directoryUrl: this.opts.directoryUrl, accountKey });
  }

  close(): void {
    if (this.interceptor !== undefined) acme.axios.interceptors.request.eject(this.interceptor);
    this.interceptor = undefined;
  }

  keyAuthorization(token: string): string | undefined {
    return this.challenges.get(token);
  }

  /** one order for one name; resolves to the PEM chain (leaf first) and its new key */
  async issue(domain: string): Promise<{ certPem: string; keyPem: string }> {
    const client = this.client;
    if (!client) throw new Error('ACME issuer not initialised');
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
    const certPem = await client.auto({
      csr,
      email: this.opts.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client's self-check resolves the name and fetches it from here; behind NAT
      // or split DNS it fails where the CA would succeed, and the CA checks anyway
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        this.challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        this.challenges.delete(challenge.token);
      },
    });
    return { certPem, keyPem: key.toString() };
  }

  /**
   * acme-client sends everything through one shared axios instance; an interceptor gives
   * requests to this directory's origin the CA bundle and a timeout without changing
   * the defaults for anyone else in the process.
   */
  private scopeHttp(): void {
    const origin = new URL(this.opts.directoryUrl).origin;
    const agent = this.opts.caBundle ? new Agent({ ca: this.opts.caBundle, keepAlive: true }) : undefined;
    this.interceptor = acme.axios.interceptors.request.use((config) => {
      if (config.url && new URL(config.url, origin).origin === origin) {
        config.timeout = REQUEST_TIMEOUT_MS;
        if (agent) config.httpsAgent = agent;
      }
      return config;
    });
  }
}
