import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { CertError } from './errors.ts';

/** RFC 1035: 253 characters in text form, 63 per label */
const MAX_NAME = 253;
const MAX_LABEL = 63;
/** the raw input is bounded before any parsing: hostile API callers send megabytes */
const MAX_INPUT = 1024;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export interface DomainOptions {
  /** `*.example.com` is accepted only for uploaded certificates: ACME here is HTTP-01 only */
  allowWildcard?: boolean;
}

/**
 * The canonical form of a hostname from hostile input: IDNA to punycode, lowercase, no
 * trailing dot, LDH labels, at least two labels, no IP literals. Throws CertError
 * ('invalid-domain') with the reason.
 */
export function normalizeDomain(input: unknown, opts: DomainOptions = {}): string {
  if (typeof input !== 'string') throw new CertError('invalid-domain', 'domain must be a string');
  if (input.length === 0 || input.length > MAX_INPUT) throw new CertError('invalid-domain', 'domain length out of range');
  let name = input;
  let wildcard = false;
  if (name.startsWith('*.')) {
    if (!opts.allowWildcard) throw new CertError('invalid-domain', `wildcard names need an uploaded certificate: ${clip(input)}`);
    wildcard = true;
    name = name.slice(2);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (/[\s/\\@:?#[\]%*]/.test(name)) throw new CertError('invalid-domain', `invalid characters in domain: ${clip(input)}`);
  if (isIP(name) !== 0 || isIP(name.replace(/^\[|\]$/g, '')) !== 0) {
    throw new CertError('invalid-domain', `IP addresses cannot have certificates here: ${clip(input)}`);
  }
  // WHATWG IDNA (UTS #46): maps Unicode to punycode and lowercases; '' when invalid
  const ascii = domainToASCII(name);
  if (!ascii) throw new CertError('invalid-domain', `not a valid hostname: ${clip(input)}`);
  const full = wildcard ? `*.${ascii}` : ascii;
  if (full.length > MAX_NAME) throw new CertError('invalid-domain', `domain longer than ${MAX_NAME} characters`);
  const labels = ascii.split('.');
  if (labels.length < 2) throw new CertError('invalid-domain', `domain needs at least two labels: ${clip(input)}`);
  for (const label of labels) {
    if (label.length > MAX_LABEL || !LABEL.test(label)) throw new CertError('invalid-domain', `invalid label in domain: ${clip(input)}`);
  }
  // an all-numeric last label is an IPv4 address in some spelling (1.2.3.4, 0x7f.1): never a domain
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1] as string)) {
    throw new CertError('invalid-domain', `numeric top-level label: ${clip(input)}`);
  }
  return full;
}

/** the SNI name a client sent, normalised the same way; undefined when it is not a hostname */
export function normalizeServername(servername: string): string | undefined {
  try {
    return normalizeDomain(servername);
  } catch {
    // an invalid SNI (IP, garbage) simply has no certificate; nothing to log per handshake
    return undefined;
  }
}

/** the wildcard name that would cover `domain` (one label deeper only, as in RFC 6125) */
export function wildcardFor(domain: string): string | undefined {
  const dot = domain.indexOf('.');
  const parent = domain.slice(dot + 1);
  return dot > 0 && parent.includes('.') ? `*.${parent}` : undefined;
}

function clip(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
