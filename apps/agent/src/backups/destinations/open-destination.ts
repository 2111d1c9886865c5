import type { SecretBox } from '../../auth/secrets.js';
import type { StoredDestination } from '../plan-schema.js';
import type { Destination } from './destination.js';
import { LocalDirectory } from './local-dir.js';

/**
 * The destination a stored plan names, its S3 secret opened only here, for the call. The S3
 * client (minio and its XML parsers) is loaded on first use: an agent without S3 plans
 * never pays for it in start time or memory.
 */
export async function openDestination(d: StoredDestination, secrets: SecretBox): Promise<Destination> {
  if (d.kind === 'local') return new LocalDirectory(d.path);
  const { S3Bucket } = await import('./s3-bucket.js');
  return new S3Bucket({ ...d, secretKey: secrets.open(d.secretEncrypted) });
}
