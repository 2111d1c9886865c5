import { Agent } from 'node:https';
import type { Logger } from '@skiff/logger';
import * as acme from 'acme-client';
import type { CertStore } from './store.ts';
import type { AcmeOptions } from './types.ts';

/** one ACME request may not hang an issuance (and close()) forever */
const REQUEST_TIMEOUT_MS = 30_000;
/** how ACME servers say an account URL is unknown (RFC 8555 accountDoesNotExist, Pebble, Boulder) */
const ACCOUNT_GONE = /accountDoesNotExist|not known to the ACME server|\baccount\b.{0,300}\b(not found|does not exist)|No account found/i;

/** acme-client tells that no account URL is set only by throwing */
function hasAccountUrl(client: acme.Client): boolean {
  try {
    client.getAccountUrl();
    return true;
  } catch {
    return false;
  }
}

/**
 * The ACME side: the account key (made once, stored 0600), HTTP-01 orders through
 * acme-client, and the key authorizations the proxy serves while a challenge is open.
 */
export class AcmeIssuer {
  private readonly challenges = new Map<string, string>();
  private client?: acme.Client;
  private accountKey?: string;
  private interceptor?: number;
  private agent?: Agent;

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
    const known = await this.store.readAccount();
    this.accountKey = accountKey;
    this.newClient(known?.directoryUrl === this.opts.directoryUrl ? known.url : undefined);
  }

  private newClient(accountUrl: string | undefined): void {
    this.client = new acme.Client({ directoryUrl: this.opts.directoryUrl, accountKey: this.accountKey as string, accountUrl });
  }

  /**
   * Registers the account once and keeps its URL: acme-client re-finds an existing account
   * by "creating" it again and then sending an update, which an ACME server may refuse as
   * empty when there is no contact address to update (Pebble does).
   */
  private async account(client: acme.Client): Promise<void> {
    if (hasAccountUrl(client)) return;
    await client.createAccount({ termsOfServiceAgreed: true, ...(this.opts.email ? { contact: [`mailto:${this.opts.email}`] } : {}) });
    const url = client.getAccountUrl();
    await this.store.writeAccount({ directoryUrl: this.opts.directoryUrl, url });
    this.log.info('ACME account registered', { directory: this.opts.directoryUrl, account: url });
  }

  close(): void {
    if (this.interceptor !== undefined) acme.axios.interceptors.request.eject(this.interceptor);
    this.interceptor = undefined;
    this.agent?.destroy();
  }

  keyAuthorization(token: string): string | undefined {
    return this.challenges.get(token);
  }

  /** one order for one name; resolves to the PEM chain (leaf first) and its new key */
  async issue(domain: string): Promise<{ certPem: string; keyPem: string }> {
    const client = this.client;
    if (!client) throw new Error('ACME issuer not initialised');
    await this.account(client);
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
    const certPem = await client.auto(this.autoOptions(csr)).catch((e: unknown) => {
      // the CA forgot the account (a test CA restarted, an account deleted): register anew
      // on the next attempt instead of failing forever with the stored URL
      if (ACCOUNT_GONE.test(String((e as Error)?.message))) {
        this.log.warn('the ACME account is unknown to the CA; registering again on the next attempt', { err: e });
        this.newClient(undefined);
      }
      throw e;
    });
    return { certPem, keyPem: key.toString() };
  }

  private autoOptions(csr: Buffer): acme.ClientAutoOptions {
    return {
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
    };
  }

  /**
   * acme-client sends everything through one shared axios instance; an interceptor gives
   * requests to this directory's origin the CA bundle and a timeout without changing
   * the defaults for anyone else in the process.
   */
  private scopeHttp(): void {
    const origin = new URL(this.opts.directoryUrl).origin;
    const agent = this.opts.caBundle ? new Agent({ ca: this.opts.caBundle, keepAlive: true }) : undefined;
    this.agent = agent;
    this.interceptor = acme.axios.interceptors.request.use((config) => {
      if (config.url && new URL(config.url, origin).origin === origin) {
        config.timeout = REQUEST_TIMEOUT_MS;
        if (agent) config.httpsAgent = agent;
      }
      return config;
    });
  }
}
