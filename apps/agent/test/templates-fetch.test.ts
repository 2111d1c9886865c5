import { describe, expect, it } from 'vitest';
import { addressAllowed, checkCatalogueUrl } from '../src/templates/fetch-catalogue.js';

/**
 * The catalogue fetcher's address rules without a network: every spelling of a metadata or
 * unspecified address is refused (the agent test covers real fetches, redirects and types).
 */
describe('catalogue URL addresses', () => {
  it('refuses link-local and unspecified addresses however they are written', () => {
    for (const a of [
      '169.254.169.254',
      '169.254.0.1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '0:0:0:0:0:ffff:a9fe:a9fe',
      '0.0.0.0',
      '::',
      'fe80::1',
      'fd00:ec2::254',
    ])
      expect(addressAllowed(a), a).toBe(false);
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.2', '::ffff:127.0.0.1', '93.184.216.34']) expect(addressAllowed(a), a).toBe(true);
    expect(addressAllowed('not-an-ip')).toBe(false);
  });

  it('URLs: https only, no credentials, numeric spellings of 169.254.169.254 normalised and refused', () => {
    for (const u of [
      'https://2852039166/',
      'https://0xa9fea9fe/',
      'https://0251.0376.0251.0376/',
      'https://169.254.169.254./',
      'https://[::ffff:169.254.169.254]/',
      'https://[fe80::1%25eth0]/',
      'https://[::]/',
      'https://0/',
    ])
      expect(() => checkCatalogueUrl(u), u).toThrow(/never fetched|not a URL/);
    expect(() => checkCatalogueUrl('http://example.com/c.yaml')).toThrow(/must be https, not http/);
    expect(() => checkCatalogueUrl('file:///etc/passwd')).toThrow(/must be https, not file/);
    expect(() => checkCatalogueUrl('https://u:p@example.com/')).toThrow(/credentials/);
    expect(() => checkCatalogueUrl('nope')).toThrow(/not a URL/);
    expect(checkCatalogueUrl('https://catalogue.example.com/a.yaml').hostname).toBe('catalogue.example.com');
  });
});
