import { bucketGrid, bucketIndex, countSeries } from './stats-buckets';

describe('stats buckets', () => {
  const now = new Date('2026-03-01T10:17:42.500Z');

  it('cuts the last hour into 60 one-minute buckets ending at the next minute boundary', () => {
    const g = bucketGrid('1h', now);
    expect(g.bucketSeconds).toBe(60);
    expect(g.starts).toHaveLength(60);
    expect(g.to.toISOString()).toBe('2026-03-01T10:18:00.000Z');
    expect(g.from.toISOString()).toBe('2026-03-01T09:18:00.000Z');
    expect(g.starts[59]?.toISOString()).toBe('2026-03-01T10:17:00.000Z');
  });

  it('uses wider buckets for longer windows and for latency percentiles', () => {
    expect(bucketGrid('6h', now).starts).toHaveLength(72);
    expect(bucketGrid('24h', now).starts).toHaveLength(96);
    const lat = bucketGrid('24h', now, 'latency');
    expect(lat.bucketSeconds).toBe(3600);
    expect(lat.starts).toHaveLength(24);
    expect(lat.to.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('places rows by bucket start and ignores rows outside the window', () => {
    const g = bucketGrid('1h', now);
    expect(bucketIndex(g, new Date('2026-03-01T10:17:00Z'))).toBe(59);
    expect(bucketIndex(g, new Date('2026-03-01T09:18:00Z'))).toBe(0);
    expect(bucketIndex(g, new Date('2026-03-01T09:17:00Z'))).toBe(-1);
    expect(bucketIndex(g, new Date('2026-03-01T10:18:00Z'))).toBe(-1);
  });

  it('zero-fills one series per key, in the order of the keys, with totals', () => {
    const g = bucketGrid('1h', now);
    const rows = [
      { bucket: new Date('2026-03-01T10:17:00Z'), key: 'accepted', count: 3 },
      { bucket: new Date('2026-03-01T10:15:00Z'), key: 'accepted', count: 2 },
      { bucket: new Date('2026-03-01T10:15:00Z'), key: 'rejected', count: 1 },
      { bucket: new Date('2026-03-01T10:15:00Z'), key: 'nonsense', count: 9 },
    ];
    const s = countSeries(g, ['received', 'accepted', 'rejected'] as const, rows);
    expect(s.map((x) => [x.key, x.total])).toEqual([['received', 0], ['accepted', 5], ['rejected', 1]]);
    expect(s[1]?.counts[59]).toBe(3);
    expect(s[1]?.counts[57]).toBe(2);
    expect(s[1]?.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(s[0]?.counts.every((c) => c === 0)).toBe(true);
  });
});
