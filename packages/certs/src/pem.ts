import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CertError } from './errors.ts';

/** a real chain is 2–8 KiB; the bounds keep hostile uploads from costing parse time or disk */
export const MAX_CHAIN_BYTES = 64 * 1024;
export const MAX_KEY_BYTES = 16 * 1024;
export const MAX_CHAIN_CERTS = 8;
/** an uploaded certificate may start up to this far in the future (clock skew between hosts) */
const NOT_BEFORE_SKEW_MS = 24 * 3600_000;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/g;

export interface ParsedPair {
  certs: X509Certificate[];
  key: KeyObject;
  /** leaf first, each certificate followed by its issuer, normalised to '\n' line ends */
  chainPem: string;
  keyPem: string;
}

export interface CertFacts {
  names: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  serial: string;
  fingerprint256: string;
}

function blocks(pem: string): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  for (const m of pem.matchAll(BLOCK)) {
    out.push({ label: m[1] as string, text: `-----BEGIN ${m[1]}-----\n${(m[2] as string).replace(/\r/g, '')}-----END ${m[1]}-----\n` });
  }
  return out;
}

/**
 * Parses a certificate chain and its private key from hostile input and checks what makes
 * them servable: size bounds, PEM syntax, an unencrypted key that matches the leaf, and
 * chain order (each certificate issued and signed by the next).
 */
export function parsePair(certPem: unknown, keyPem: unknown): ParsedPair {
  if (typeof certPem !== 'string' || typeof keyPem !== 'string') throw new CertError('invalid-pem', 'certificate and key must be PEM strings');
  if (certPem.length > MAX_CHAIN_BYTES) throw new CertError('too-large', `certificate chain over ${MAX_CHAIN_BYTES} bytes`);
  if (keyPem.length > MAX_KEY_BYTES) throw new CertError('too-large', `private key over ${MAX_KEY_BYTES} bytes`);
  const certBlocks = blocks(certPem);
  if (certBlocks.length === 0) throw new CertError('invalid-pem', 'no PEM certificate found');
  if (certBlocks.length > MAX_CHAIN_CERTS) throw new CertError('too-large', `more than ${MAX_CHAIN_CERTS} certificates in the chain`);
  if (certBlocks.some((b) => b.label !== 'CERTIFICATE')) throw new CertError('invalid-pem', 'the certificate field holds a non-certificate PEM block');
  const certs = certBlocks.map((b, i) => {
    try {
      return new X509Certificate(b.text);
    } catch (e) {
      throw new CertError('invalid-pem', `certificate ${i + 1} does not parse: ${(e as Error).message}`);
    }
  });
  const keyBlocks = blocks(keyPem);
  if (keyBlocks.length !== 1) throw new CertError('invalid-pem', 'the key field must hold exactly one PEM private key');
  const keyBlock = keyBlocks[0] as { label: string; text: string };
  if (!/^(RSA |EC )?PRIVATE KEY$/.test(keyBlock.label))
    throw new CertError('invalid-pem', `unsupported key block "${keyBlock.label}" (encrypted keys are not accepted)`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyBlock.text, format: 'pem' });
  } catch (e) {
    throw new CertError('invalid-pem', `private key does not parse: ${(e as Error).message}`);
  }
  const leaf = certs[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) throw new CertError('key-mismatch', 'the private key does not match the certificate');
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i] as X509Certificate;
    const parent = certs[i + 1] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new CertError('bad-chain', `certificate ${i + 1} is not issued by certificate ${i + 2}: the chain must be leaf first, then each issuer`);
    }
  }
  return { certs, key, chainPem: certBlocks.map((b) => b.text).join(''), keyPem: keyBlock.text };
}

/** DNS names from the subjectAltName; the subject CN is ignored as browsers ignore it */
export function dnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  return san
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
}

/** does the leaf cover `domain` (an exact name or `*.parent`) by its SAN */
export function covers(cert: X509Certificate, domain: string): boolean {
  if (domain.startsWith('*.')) return dnsNames(cert).includes(domain);
  return cert.checkHost(domain, { subject: 'never', wildcards: true, singleLabelSubdomains: false }) !== undefined;
}

/** refuses a leaf that is expired or not yet valid at `now` */
export function checkValidity(cert: X509Certificate, now: number): void {
  const notAfter = Date.parse(cert.validTo);
  const notBefore = Date.parse(cert.validFrom);
  if (!(notAfter > now)) throw new CertError('expired', `the certificate expired on ${new Date(notAfter).toISOString()}`);
  if (notBefore > now + NOT_BEFORE_SKEW_MS) throw new CertError('not-yet-valid', `the certificate is not valid before ${new Date(notBefore).toISOString()}`);
}

export function facts(cert: X509Certificate): CertFacts {
  return {
    names: dnsNames(cert),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serial: cert.serialNumber.toLowerCase(),
    fingerprint256: cert.fingerprint256,
  };
}
