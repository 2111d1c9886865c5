import { InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec, HealthConfig } from '../../types.js';

/** Docker's defaults for fields neither the image nor `run` set */
export const HEALTH_DEFAULTS = { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 };
const MINIMUM_NS = 1e6; // Docker refuses non-zero durations under 1ms

/** The check's settings with defaults applied, in milliseconds for the timers. */
export interface HealthSchedule {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/**
 * The container's health check: the image's HEALTHCHECK with `run`'s flags laid over it
 * field by field (Docker's merge: a zero/absent field inherits). Undefined when there is
 * none; `Test: ['NONE']` is kept so inspect shows the check as disabled.
 */
export function mergeHealthcheck(user: ContainerCreateSpec['healthcheck'], image: HealthConfig | undefined): HealthConfig | undefined {
  if (user) {
    for (const [k, v] of Object.entries(user)) {
      if (k === 'test' || v === undefined) continue;
      const label = k[0]!.toUpperCase() + k.slice(1);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgument(`${label} in Healthcheck cannot be negative`);
      if (k !== 'retries' && v !== 0 && v < MINIMUM_NS) throw new InvalidArgument(`${label} in Healthcheck cannot be less than 1ms`);
      if (k === 'retries' && !Number.isInteger(v)) throw new InvalidArgument('Retries in Healthcheck must be a whole number');
    }
  }
  const pick = (u: number | undefined, i: number | undefined) => (u ? u : i || undefined);
  const merged: HealthConfig = {
    Test: user?.test?.length ? user.test : image?.Test,
    Interval: pick(user?.interval, image?.Interval),
    Timeout: pick(user?.timeout, image?.Timeout),
    StartPeriod: pick(user?.startPeriod, image?.StartPeriod),
    StartInterval: pick(user?.startInterval, image?.StartInterval),
    Retries: pick(user?.retries, image?.Retries),
  };
  for (const k of Object.keys(merged) as (keyof HealthConfig)[]) if (merged[k] === undefined) delete merged[k];
  if (!merged.Test?.length) return undefined;
  const kind = merged.Test[0];
  if (kind !== 'CMD' && kind !== 'CMD-SHELL' && kind !== 'NONE')
    throw new InvalidArgument(`unknown healthcheck type "${kind}" (expected CMD, CMD-SHELL or NONE)`);
  if (kind !== 'NONE' && (merged.Test.length < 2 || !merged.Test[1])) throw new InvalidArgument('the healthcheck command is empty');
  return merged;
}

/** What the monitor runs and when; undefined for no check (absent or NONE). */
export function healthSchedule(hc: HealthConfig | undefined, shell: string[] | undefined): HealthSchedule | undefined {
  const kind = hc?.Test?.[0];
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') return undefined;
  const rest = hc!.Test!.slice(1);
  const ms = (ns: number | undefined, dflt: number) => (ns || dflt) / 1e6;
  return {
    argv: kind === 'CMD-SHELL' ? [...(shell?.length ? shell : ['/bin/sh', '-c']), ...rest] : rest,
    intervalMs: ms(hc!.Interval, HEALTH_DEFAULTS.interval),
    timeoutMs: ms(hc!.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriodMs: ms(hc!.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    startIntervalMs: ms(hc!.StartInterval, HEALTH_DEFAULTS.startInterval),
    retries: hc!.Retries || HEALTH_DEFAULTS.retries,
  };
}
