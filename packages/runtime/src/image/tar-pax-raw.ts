import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * tar-stream decodes every PAX record value as UTF-8 text, but `SCHILY.xattr.*` values are
 * raw bytes: a file capability (`security.capability` for cap_setuid holds 0x80) would be
 * mangled and then refused by the kernel, failing the whole layer. This wraps tar-stream's
 * PAX decoder so each xattr record also carries its exact bytes, under
 * `RAW_XATTR_PREFIX + key` in the entry's `pax` object.
 */
export const RAW_XATTR_PREFIX = '\u0000raw:';

type PaxDecoder = (buf: Buffer) => Record<string, unknown>;

const XATTR_KEY = 'SCHILY.xattr.';
let installed = false;

/** The exact value bytes of each `SCHILY.xattr.*` record in a PAX header block. */
export function rawXattrRecords(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let rest = buf;
  while (rest.length) {
    const space = rest.indexOf(0x20);
    if (space <= 0) break;
    const len = parseInt(rest.subarray(0, space).toString('latin1'), 10);
    if (!len || len > rest.length) break;
    const record = rest.subarray(space + 1, len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) {
      const key = record.subarray(0, eq).toString('utf8');
      if (key.startsWith(XATTR_KEY)) out.set(key, Buffer.from(record.subarray(eq + 1)));
    }
    rest = rest.subarray(len);
  }
  return out;
}

export function installRawPaxXattrs(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  // the package's exports hide headers.js; extract.js calls it through the module object,
  // so replacing the property is seen by every extract
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as { decodePax: PaxDecoder };
  const decode = headers.decodePax;
  headers.decodePax = (buf: Buffer) => {
    const result = decode(buf);
    for (const [key, value] of rawXattrRecords(buf)) result[RAW_XATTR_PREFIX + key] = value;
    return result;
  };
}

/** An xattr value from an entry's pax object: the raw bytes when known, else the decoded text. */
export function xattrValue(pax: Record<string, unknown>, key: string): Buffer {
  const raw = pax[RAW_XATTR_PREFIX + key];
  return Buffer.isBuffer(raw) ? raw : Buffer.from(String(pax[key]), 'utf8');
}

type PaxEncoder = (opts: { name?: string; linkname?: string; pax?: Record<string, string | Buffer> }) => Buffer;
let encodeInstalled = false;

/** One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts its own digits too. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let digits = 1;
  while (String(body.length + digits).length !== digits) digits++;
  return Buffer.concat([Buffer.from(String(body.length + digits), 'latin1'), body]);
}

/**
 * The writing side of {@link installRawPaxXattrs}: tar-stream's PAX encoder turns every
 * value into UTF-8 text, so a Buffer value (a binary xattr such as `security.capability`)
 * would be mangled. This replacement writes Buffer values byte for byte; string values
 * come out exactly as tar-stream writes them.
 */
export function installRawPaxEncode(): void {
  if (encodeInstalled) return;
  encodeInstalled = true;
  const require = createRequire(import.meta.url);
  // pack.js calls `headers.encodePax` through the module object, like extract.js for decode
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as { encodePax: PaxEncoder };
  headers.encodePax = (opts) => {
    const records: Buffer[] = [];
    if (opts.name) records.push(paxRecord('path', Buffer.from(opts.name, 'utf8')));
    if (opts.linkname) records.push(paxRecord('linkpath', Buffer.from(opts.linkname, 'utf8')));
    for (const [key, value] of Object.entries(opts.pax ?? {})) {
      records.push(paxRecord(key, Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8')));
    }
    return Buffer.concat(records);
  };
}
