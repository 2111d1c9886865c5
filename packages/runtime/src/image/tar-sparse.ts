import type tar from 'tar-stream';
import { InvalidArgument } from '../errors.js';

/**
 * GNU sparse files are refused with a clear error instead of being unpacked wrong: tar-stream
 * reports the old GNU 'S' entry as an unknown type (its map lives in header fields it does not
 * decode, so the entry was silently skipped), and the PAX forms (GNU.sparse.* 0.0, 0.1, 1.0)
 * as a regular file whose data is the condensed, hole-less content (a short, garbled file).
 * Docker never writes sparse entries into layers; `tar` only does with --sparse.
 */
export function refuseSparseOrUnknown(header: tar.Header, where: string): void {
  const pax = header.pax as Record<string, unknown> | undefined;
  const sparseKey = pax && Object.keys(pax).find((k) => k.startsWith('GNU.sparse.'));
  if (sparseKey) {
    const version =
      pax['GNU.sparse.major'] !== undefined
        ? `${String(pax['GNU.sparse.major'])}.${String(pax['GNU.sparse.minor'] ?? 0)}`
        : pax['GNU.sparse.map'] !== undefined
          ? '0.1'
          : '0.0';
    const name = typeof pax['GNU.sparse.name'] === 'string' ? pax['GNU.sparse.name'] : header.name;
    throw new InvalidArgument(
      `${where} entry "${name}" is a GNU sparse file (PAX format ${version}), which Skiff does not unpack; re-create the archive without --sparse`,
    );
  }
  if (header.type === null || header.type === undefined) {
    throw new InvalidArgument(
      `${where} entry "${header.name}" has a tar entry type Skiff does not unpack (a GNU sparse file, typeflag 'S', or another GNU extension); re-create the archive without --sparse`,
    );
  }
}
