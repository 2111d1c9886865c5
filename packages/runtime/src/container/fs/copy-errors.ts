import { InvalidArgument, isSkiffError, SkiffError } from '../../errors.js';

const NOT_THE_CALLERS = new Set(['EIO', 'ENOMEM', 'EMFILE', 'ENFILE']);

/**
 * What an archive copied into a container failed with, as a typed error: a malformed tar
 * (tar-stream's "Invalid tar header", "Unexpected end of data") or an entry the filesystem
 * refuses (ENOTDIR, EEXIST, EACCES under /proc) is the caller's bad input; the host's own
 * trouble (EIO, out of memory or descriptors) is an internal error.
 */
export function copyError(e: unknown): SkiffError {
  if (isSkiffError(e)) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const message = err?.message ?? String(e);
  if (err?.code && NOT_THE_CALLERS.has(err.code)) return new SkiffError('INTERNAL', `copy into the container failed: ${message}`, { cause: e });
  return new InvalidArgument(`cannot copy the archive into the container: ${message}`, { cause: e });
}
