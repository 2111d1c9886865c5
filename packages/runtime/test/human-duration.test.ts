import { describe, expect, it } from 'vitest';
import { humanDuration, humanDurationBucket } from '../src/container/human-duration.js';

describe('humanDurationBucket', () => {
  it('changes exactly where the text of humanDuration changes', () => {
    // every 250 ms for two hours, then every minute for three years
    const points: number[] = [];
    for (let ms = -1000; ms < 2 * 3600_000; ms += 250) points.push(ms);
    for (let ms = 2 * 3600_000; ms < 3 * 365 * 86400_000; ms += 60_000) points.push(ms);
    let changes = 0;
    for (let i = 1; i < points.length; i++) {
      const sameText = humanDuration(points[i]!) === humanDuration(points[i - 1]!);
      const sameBucket = humanDurationBucket(points[i]!) === humanDurationBucket(points[i - 1]!);
      expect(sameBucket, `${points[i - 1]} -> ${points[i]}: ${humanDuration(points[i - 1]!)} / ${humanDuration(points[i]!)}`).toBe(sameText);
      if (!sameText) changes++;
    }
    expect(changes).toBeGreaterThan(100);
    expect(['Less than a second', '1 second', '59 seconds', 'About a minute', '2 minutes', 'About an hour', '47 hours', '2 days', '2 weeks', '2 months', '2 years'].every((t) => points.some((p) => humanDuration(p) === t))).toBe(true);
  });
});
