/**
 * go-units' `HumanDuration`, which docker's `ps` STATUS ("Up 3 minutes", "Exited (0) 2 hours
 * ago") and "CREATED 2 days ago" are made of: seconds and minutes truncate, hours round.
 */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(ms / 60_000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/**
 * A number that is equal for two durations exactly when humanDuration gives them the same
 * text: `ps` compares it to know whether a status text changed without building the text.
 */
export function humanDurationBucket(ms: number): number {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s < 1 ? 0 : s;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return 100 + m;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h < 48) return 1000 + h;
  if (h < 24 * 7 * 2) return 10_000 + Math.floor(h / 24);
  if (h < 24 * 30 * 2) return 20_000 + Math.floor(h / 24 / 7);
  if (h < 24 * 365 * 2) return 30_000 + Math.floor(h / 24 / 30);
  return 40_000 + Math.floor(ms / 3_600_000 / 24 / 365);
}
