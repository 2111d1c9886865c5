import type { Readable } from 'node:stream';

/**
 * What a run reads: the bytes (a tar or an SQL dump), and `finish`, which says whether they
 * are whole (a dump's exit code) and undoes what the read needed (unpause, post-hook). `finish`
 * runs whatever happened to the stream, and throws when the backup must count as failed.
 */
export interface BackupSource {
  kind: 'volume' | 'postgres' | 'mysql';
  stream: Readable;
  finish(streamError?: unknown): Promise<void>;
}
