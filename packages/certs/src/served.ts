import { createSecureContext, type SecureContext } from 'node:tls';
import { type CertFacts, checkValidity, covers, facts, parsePair } from './pem.ts';
import { CertError } from './errors.ts';
import type { CertificateSourceKind } from './types.ts';

/** a certificate ready to serve: its parsed facts and the TLS context built once */
export interface Served {
  domain: string;
  source: CertificateSourceKind;
  certPem: string;
  keyPem: string;
  facts: CertFacts;
  context: SecureContext;
}

export interface ServedOptions {
  /** refuse an expired or not-yet-valid leaf (uploads and fresh issuance; not reloads) */
  requireCurrent?: boolean;
  now: number;
}

/**
 * Validates a chain + key for `domain` and builds its TLS context: the one gate every
 * certificate passes, whether uploaded, issued or reloaded from disk.
 */
export function toServed(domain: string, source: CertificateSourceKind, certPem: unknown, keyPem: unknown, opts: ServedOptions): Served {
  const pair = parsePair(certPem, keyPem);
  const leaf = pair.certs[0];
  if (!leaf) throw new CertError('invalid-pem', 'no certificate');
  if (!covers(leaf, domain)) throw new CertError('name-mismatch', `the certificate is for ${facts(leaf).names.join(', ') || 'no DNS name'}, not ${domain}`);
  if (opts.requireCurrent) checkValidity(leaf, opts.now);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: pair.chainPem, key: pair.keyPem });
  } catch (e) {
    throw new CertError('invalid-pem', `TLS refuses the certificate: ${(e as Error).message}`);
  }
  return { domain, source, certPem: pair.chainPem, keyPem: pair.keyPem, facts: facts(leaf), context };
}
