import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { InvalidArgument } from '@skiff/runtime/parse';

/**
 * Fetches a catalogue document from an https URL for an admin. Limits: 4 MiB, 15 s, at
 * most 3 redirects and each to https, a content type that can hold YAML or JSON. The
 * address is checked when the connection is made (so DNS cannot swap it after a check):
 * link-local and unspecified addresses — where cloud metadata services answer — are never
 * fetched; loopback and private ones are (an admin may serve a catalogue on the LAN).
 */
export const CATALOGUE_MAX_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 15_000;
const MAX_REDIRECTS = 3;
const TYPES = /^(application\/(json|yaml|x-yaml)|text\/(yaml|x-yaml|plain))\s*(;|$)/i;

const refused = new BlockList();
refused.addSubnet('169.254.0.0', 16, 'ipv4');
refused.addSubnet('0.0.0.0', 8, 'ipv4');
refused.addSubnet('fe80::', 10, 'ipv6');
refused.addAddress('::', 'ipv6');
refused.addAddress('fd00:ec2::254', 'ipv6');
refused.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');
refused.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');

export class CatalogueFetchError extends InvalidArgument {}

/** true when this address may be fetched from */
export function addressAllowed(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !refused.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function checkCatalogueUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CatalogueFetchError(`not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:') throw new CatalogueFetchError(`a catalogue URL must be https, not ${url.protocol.replace(':', '')}`);
  if (url.username || url.password) throw new CatalogueFetchError('a catalogue URL cannot carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !addressAllowed(host))
    throw new CatalogueFetchError(`refusing to fetch from ${host}: link-local and unspecified addresses are never fetched`);
  return url;
}

/** dns.lookup, refusing the connection when the name resolves to a refused address */
function guardedLookup(hostname: string, options: object, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, '');
    const bad = addresses.find((a) => !addressAllowed(a.address));
    if (bad)
      return cb(new CatalogueFetchError(`refusing to fetch from ${hostname} (${bad.address}): link-local and unspecified addresses are never fetched`), '');
    if ((options as { all?: boolean }).all) return cb(null, addresses);
    return cb(null, addresses[0]!.address, addresses[0]!.family);
  });
}

export async function fetchCatalogue(raw: string, redirects = 0): Promise<string> {
  const url = checkCatalogueUrl(raw);
  return new Promise<string>((done, fail) => {
    // the socket's idle timeout does not end a server that drips bytes: this bounds the whole fetch
    const timer = setTimeout(() => req.destroy(new CatalogueFetchError(`fetching ${url.href}: not done within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    const resolve = (v: string) => {
      clearTimeout(timer);
      done(v);
    };
    const reject = (e: Error) => {
      clearTimeout(timer);
      fail(e);
    };
    const req = request(
      url,
      { method: 'GET', lookup: guardedLookup, timeout: TIMEOUT_MS, headers: { accept: 'application/json, application/yaml, text/yaml, text/plain' } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) return reject(new CatalogueFetchError(`too many redirects fetching ${url.href}`));
          const next = new URL(res.headers.location, url).href;
          return fetchCatalogue(next, redirects + 1).then(resolve, reject);
        }
        if (status !== 200) {
          res.resume();
          return reject(new CatalogueFetchError(`fetching ${url.href}: HTTP ${status}`));
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!TYPES.test(type)) {
          res.resume();
          return reject(new CatalogueFetchError(`fetching ${url.href}: content type "${type}" is not JSON or YAML`));
        }
        if (Number(res.headers['content-length'] ?? 0) > CATALOGUE_MAX_BYTES) {
          res.destroy();
          return reject(new CatalogueFetchError(`fetching ${url.href}: larger than ${CATALOGUE_MAX_BYTES} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > CATALOGUE_MAX_BYTES) {
            res.destroy();
            reject(new CatalogueFetchError(`fetching ${url.href}: larger than ${CATALOGUE_MAX_BYTES} bytes`));
          } else chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', (e) => reject(new CatalogueFetchError(`fetching ${url.href}: ${e.message}`)));
      },
    );
    req.on('timeout', () => req.destroy(new CatalogueFetchError(`fetching ${url.href}: no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) => reject(e instanceof CatalogueFetchError ? e : new CatalogueFetchError(`fetching ${url.href}: ${e.message}`)));
    req.end();
  });
}
