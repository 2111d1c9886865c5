import { Unavailable } from '../../errors.js';

/**
 * A write that failed for lack of space (ENOSPC, or a quota's EDQUOT) as a typed error that
 * says so and what could not be written; any other error is returned as it was.
 */
export function diskFullError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  return new Unavailable(`no space left on device for ${what}: free some space (removing containers, images or volumes needs none)`, { cause: e });
}
