import type { Readable } from 'node:stream';

/** Where a plan's archives go; keys are `plan/file` (artifact-key.ts), the same on every destination. */
export interface Destination {
  /** stores the stream under `key`; nothing is left under `key` when it fails */
  put(key: string, body: Readable): Promise<void>;
  /** the stored bytes */
  get(key: string): Promise<Readable>;
  /** removes the archive; one already gone is not an error */
  remove(key: string): Promise<void>;
  /** for messages and logs: `/var/backups/skiff`, `s3://bucket/prefix` */
  readonly describe: string;
}
