/**
 * Remembers the webhook deliveries already accepted, by delivery id and by a digest of the
 * signed body, for `ttlMs`: a captured request sent again is refused. The body digest is
 * the real guard (an attacker can change the unsigned delivery id, not the signed body).
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 24 * 3600_000,
    private readonly maxEntries = 50_000,
  ) {}

  /** true when one of `keys` was seen within the TTL; otherwise records them all */
  checkAndRecord(keys: string[], now = Date.now()): boolean {
    this.expire(now);
    if (keys.some((k) => this.seen.has(k))) return true;
    for (const k of keys) this.seen.set(k, now + this.ttlMs);
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    return false;
  }

  private expire(now: number): void {
    // entries are in insertion order, so expiry order too
    for (const [k, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(k);
    }
  }
}
