import { describe, expect, it } from 'vitest';
import { humanDuration, humanDurationBucket } from '../src/container/views/human-duration.js';

describe('humanDurationBucket', () => {
  it('changes exactly where the text of humanDuration changes', () => {
    // every 250 ms for two hours, every minute for 60 days, then every hour for three years
    const points: number[] = [];
    for (let ms = -1000; ms < 2 * 3600_000; ms += 250) points.push(ms);
    for (let ms = 2 * 3600_000; ms < 60 * 86400_000; ms += 60_000) points.push(ms);
    for (let ms = 60 * 86400_000; ms < 3 * 365 * 86400_000; ms += 3600_000) points.push(ms);
    const mismatches: string[] = [];
    let changes = 0;
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1]!, points[i]!];
      const sameText = humanDuration(a) === humanDuration(b);
      if ((humanDurationBucket(a) === humanDurationBucket(b)) !== sameText) mismatches.push(`${a} -> ${b}: ${humanDuration(a)} / ${humanDuration(b)}`);
      if (!sameText) changes++;
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(changes).toBeGreaterThan(100);
    const texts = new Set(points.map(humanDuration));
    for (const t of [
      'Less than a second',
      '1 second',
      '59 seconds',
      'About a minute',
      '2 minutes',
      'About an hour',
      '47 hours',
      '2 days',
      '2 weeks',
      '2 months',
      '2 years',
    ])
      expect(texts).toContain(t);
  });

  it('truncates seconds and minutes and rounds hours, as go-units (and so docker ps) does', () => {
    expect([59_700, 119_000, 3_599_000, 89 * 60_000, 90 * 60_000].map(humanDuration)).toEqual([
      '59 seconds',
      'About a minute',
      '59 minutes',
      'About an hour',
      '2 hours',
    ]);
  });
});
