import { describe, expect, it } from 'vitest';
import { ago, knownTime, when } from '../lib/format';

/** an image without a `created` carries the epoch or Go's zero time, which must not read as decades ago */
describe('times an image may not record', () => {
  const now = Date.parse('2026-12-07T19:00:00Z');
  it('says N/A for the epoch, the zero time, nothing and garbage', () => {
    for (const t of ['1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '', 'not a date', 0]) {
      expect(knownTime(t)).toBe(false);
      expect(ago(t, now)).toBe('N/A');
      expect(when(t, now)).toBe('N/A');
    }
    expect(when(undefined, now)).toBe('N/A');
  });
  it('reads a real time as before', () => {
    expect(ago('2026-12-07T18:57:00Z', now)).toBe('3 minutes ago');
    expect(ago(Math.floor(now / 1000) - 7200, now)).toBe('2 hours ago');
    expect(when('2024-01-01T00:00:00Z', now)).toMatch(/^2024-01-01 \d\d:00:00 \(1,071 days ago\)$|^2023-12-31 \d\d:00:00 \(1,071 days ago\)$/);
  });
});
