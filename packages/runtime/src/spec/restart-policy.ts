import { InvalidArgument } from '../errors.js';
import type { RestartPolicy } from '../types.js';

/** Docker's `--restart` / Compose's `restart:` string: no | always | unless-stopped | on-failure[:max-retries] */
export function parseRestartPolicy(v: string): RestartPolicy {
  const [name, max, ...extra] = v.split(':');
  if (extra.length) throw new InvalidArgument(`invalid restart policy "${v}"`);
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (max !== undefined) throw new InvalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    return { name };
  }
  if (name === 'on-failure') {
    if (max === undefined) return { name };
    if (!/^\d+$/.test(max)) throw new InvalidArgument(`invalid restart policy "${v}": the maximum retry count must be a whole number`);
    return { name, maximumRetryCount: Number(max) };
  }
  throw new InvalidArgument(`invalid restart policy "${v}": use no, always, unless-stopped or on-failure[:max-retries]`);
}
