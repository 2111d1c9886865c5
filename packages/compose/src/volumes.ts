import { posix } from 'node:path';

/** the parts of a short `volumes:` entry, before sources are resolved */
export interface ShortVolume {
  source?: string;
  target: string;
  readOnly: boolean;
}

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'delegated', 'cached', 'consistent']);

/** `src:dst[:mode]` or an anonymous volume's `dst`; returns an error string when malformed */
export function parseShortVolume(spec: string): ShortVolume | string {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) return `invalid volume "${spec}": use SOURCE:TARGET[:MODE] or TARGET`;
  const [a, b, mode] = parts as [string, string?, string?];
  const target = b === undefined ? a : b;
  if (!posix.isAbsolute(target)) return `invalid volume "${spec}": the container path "${target}" must be absolute`;
  let readOnly = false;
  for (const m of (mode ?? '').split(',').filter(Boolean)) {
    if (!MODES.has(m)) return `invalid volume "${spec}": unknown mode "${m}"`;
    if (m === 'ro') readOnly = true;
    if (m === 'rw') readOnly = false;
  }
  return b === undefined ? { target, readOnly } : { source: a, target, readOnly };
}

/** Compose's rule: a source that looks like a path is a bind mount, anything else names a volume */
export function isPathSource(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}
