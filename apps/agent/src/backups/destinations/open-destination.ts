import type { SecretBox } from '../../auth/secrets.js';
import type { StoredDestination } from '../plan-schema.js';
import type { Destination } from './destination.js';
import { LocalDirectory } from './local-dir.js';
import { S3Bucket } from './s3-bucket.js';

/** the destination a stored plan names, its S3 secret opened only here, for the call */
export function openDestination(d: StoredDestination, secrets: SecretBox): Destination {
  if (d.kind === 'local') return new LocalDirectory(d.path);
  return new S3Bucket({ ...d, secretKey: secrets.open(d.secretEncrypted) });
}
