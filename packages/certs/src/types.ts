import type { SecureContext } from 'node:tls';
import type { Logger } from '@skiff/logger';

/** what the proxy asks on every TLS handshake (SNI callback); must be synchronous and cheap */
export interface CertificateSource {
  secureContext(servername: string): SecureContext | undefined;
}

/** ACME HTTP-01: the proxy answers GET /.well-known/acme-challenge/TOKEN on port 80 with this */
export interface ChallengeSource {
  keyAuthorization(token: string): string | undefined;
}

export interface AcmeOptions {
  directoryUrl: string;
  email?: string;
  /** PEM to trust for the ACME server's own HTTPS (Pebble's test CA); the system store otherwise */
  caBundle?: string;
}

export interface CertificateManagerOptions {
  /** under the runtime root, e.g. $SKIFF_ROOT/certs; created 0700 */
  dir: string;
  /** no ACME: only uploaded (and placeholder) certificates */
  acme?: AcmeOptions;
  logger: Logger;
  /** serve a per-domain self-signed certificate until the real one exists (default true) */
  selfSigned?: boolean;
  /** how often renewals are looked for (default 1 hour) */
  checkIntervalMs?: number;
  /**
   * backoff after a failed issuance: base doubles per failure up to max (default 5 min …
   * 6 h; Let's Encrypt allows 5 failed validations per name and hour)
   */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** the clock for renewal and expiry decisions only (never for the ACME protocol) */
  now?: () => number;
}

export type CertificateSourceKind = 'acme' | 'custom' | 'self-signed';

/**
 * valid: serving a current certificate · pending: waiting for ACME (self-signed meanwhile) ·
 * issuing/renewing: an order is in flight · failed: the last attempt failed (lastError; an
 * older certificate, if any, is still served) · expired: the served certificate has
 * expired · no-acme: ACME is not configured, so only an upload can give this domain a
 * certificate.
 */
export type CertificateStatus = 'valid' | 'pending' | 'issuing' | 'renewing' | 'failed' | 'expired' | 'no-acme';

export interface CertificateInfo {
  domain: string;
  /** the certificate being served now, if any */
  source?: CertificateSourceKind;
  names: string[];
  notBefore?: string;
  notAfter?: string;
  issuer?: string;
  serial?: string;
  status: CertificateStatus;
  lastError?: string;
  lastAttempt?: string;
  nextAttempt?: string;
  /** consecutive failed attempts since the last success */
  failures: number;
}
