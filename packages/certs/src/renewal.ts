const DAY = 24 * 3600_000;
/** Let's Encrypt's 90-day certificates renew with 30 days left, as certbot does */
const RENEW_BEFORE_MS = 30 * DAY;

/**
 * Is a certificate due for renewal: less than 30 days left, or less than a third of its
 * lifetime for short-lived certificates (6-day profiles, Pebble's test validity).
 */
export function renewalDue(notBefore: number, notAfter: number, now: number): boolean {
  // expired, or dates that make no sense (NaN, inverted): get a proper certificate
  if (!(notAfter > notBefore) || !(notAfter > now)) return true;
  return notAfter - now < Math.min(RENEW_BEFORE_MS, (notAfter - notBefore) / 3);
}

/** exponential backoff after `failures` consecutive failures */
export function retryDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}
