import { InvalidArgument } from '@skiff/runtime';

/*
 * An archive's key: `<plan>/<plan>-<UTC stamp>-<run id>.<ext>`. Both parts are made here from
 * a validated plan name and a cuid, and checked again when a key is read back from the
 * database, so a key can never name anything outside the plan's own directory or prefix.
 */

const PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

export function artifactKey(plan: string, runId: string, at: Date, ext: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return checkKey(`${plan}/${plan}-${stamp}-${runId}.${ext}`);
}

/** the key's two parts, refused unless both are single safe path components */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p) && p !== '..' && !p.includes('..')))
    throw new InvalidArgument(`invalid backup location: ${JSON.stringify(key)}`);
  return key;
}

/** the archive's extension: a tar for volumes, an SQL dump for databases */
export function extensionOf(kind: string, compression: string): string {
  const body = kind === 'volume' ? 'tar' : 'sql';
  return `${body}.${compression === 'gzip' ? 'gz' : 'zst'}`;
}
