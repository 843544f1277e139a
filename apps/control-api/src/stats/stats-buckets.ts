/**
 * Time buckets of the dashboard's charts: a window ending at the next bucket boundary after now,
 * cut into equal buckets, every bucket present (zero-filled or null) so a chart's x axis has no
 * holes. Pure; the repository groups rows with the same origin (the Unix epoch) and width.
 */

export const STATS_WINDOWS = ['1h', '6h', '24h'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

/** Bucket width per window: about 60-100 points per chart. */
const BUCKET_SECONDS: Record<StatsWindow, number> = { '1h': 60, '6h': 300, '24h': 900 };
/** Latency percentiles need more attempts per point: wider buckets. */
const LATENCY_BUCKET_SECONDS: Record<StatsWindow, number> = { '1h': 300, '6h': 900, '24h': 3600 };
const WINDOW_SECONDS: Record<StatsWindow, number> = { '1h': 3600, '6h': 6 * 3600, '24h': 24 * 3600 };

export interface BucketGrid {
  from: Date;
  /** Exclusive end. */
  to: Date;
  bucketSeconds: number;
  /** Start of each bucket, oldest first. */
  starts: Date[];
}

export function bucketGrid(window: StatsWindow, now: Date, kind: 'counts' | 'latency' = 'counts'): BucketGrid {
  const bucketSeconds = (kind === 'latency' ? LATENCY_BUCKET_SECONDS : BUCKET_SECONDS)[window];
  const bucketMs = bucketSeconds * 1000;
  const toMs = Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs;
  const n = WINDOW_SECONDS[window] / bucketSeconds;
  const fromMs = toMs - n * bucketMs;
  const starts = Array.from({ length: n }, (_, i) => new Date(fromMs + i * bucketMs));
  return { from: new Date(fromMs), to: new Date(toMs), bucketSeconds, starts };
}

/** Index of the bucket a row's bucket start falls in, or -1 when outside the grid. */
export function bucketIndex(grid: BucketGrid, start: Date): number {
  const i = Math.round((start.getTime() - grid.from.getTime()) / (grid.bucketSeconds * 1000));
  return i >= 0 && i < grid.starts.length ? i : -1;
}

export interface CountRow {
  bucket: Date;
  key: string;
  count: number;
}

export interface CountSeries<K extends string> {
  key: K;
  total: number;
  counts: number[];
}

/** One series per key (in `keys` order; unknown keys dropped), zero-filled over the grid. */
export function countSeries<K extends string>(grid: BucketGrid, keys: readonly K[], rows: readonly CountRow[]): CountSeries<K>[] {
  const byKey = new Map<string, CountSeries<K>>(keys.map((key) => [key, { key, total: 0, counts: new Array<number>(grid.starts.length).fill(0) }]));
  for (const r of rows) {
    const s = byKey.get(r.key);
    const i = bucketIndex(grid, new Date(r.bucket));
    if (!s || i < 0) continue;
    s.counts[i] += Number(r.count);
    s.total += Number(r.count);
  }
  return [...byKey.values()];
}
