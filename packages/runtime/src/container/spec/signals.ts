import { constants } from 'node:os';
import { InvalidArgument } from '../../errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** Docker accepts `KILL`, `SIGKILL`, `sigkill` and `9`. */
export function parseSignal(input: string | number | undefined, fallback = 'SIGKILL'): number {
  const raw = input === undefined || input === '' ? fallback : String(input);
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > 64) throw new InvalidArgument(`invalid signal: ${raw}`);
    return n;
  }
  const up = raw.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const n = SIGNALS[name];
  if (n === undefined) throw new InvalidArgument(`invalid signal: ${raw}`);
  return n;
}

export function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}
