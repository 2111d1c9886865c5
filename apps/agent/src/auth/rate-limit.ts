/** Failed-attempt limiter (login): N failures per window per key, then refuse until it slides. */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 5,
    private readonly windowMs = 60_000,
  ) {}

  private recent(key: string): number[] {
    const now = Date.now();
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  blocked(key: string): boolean {
    return this.recent(key).length >= this.max;
  }

  fail(key: string): void {
    this.failures.set(key, [...this.recent(key), Date.now()]);
    if (this.failures.size > 100_000) this.failures.clear(); // a flood of keys must not grow memory forever
  }

  reset(key: string): void {
    this.failures.delete(key);
  }
}
