import { Injectable } from '@nestjs/common';
import { DELIVERY_STATUSES, DeliveryStatsRepository } from '@hookstream/delivery-store';
import { FEED_STATUSES, FeedRepository } from '@hookstream/feed-store';
import { bucketGrid, bucketIndex, countSeries, type BucketGrid, type StatsWindow } from './stats-buckets';
import type { DeliveryStatsView, EndpointLatencySeries, EventStatsView, LatencyStatsView } from './stats.dto';

/** Latencies are whole milliseconds; percentiles interpolate, so keep one decimal. */
const ms = (v: number | string): number => Math.round(Number(v) * 10) / 10;

function gridView(g: BucketGrid) {
  return { from: g.from.toISOString(), to: g.to.toISOString(), bucketSeconds: g.bucketSeconds, buckets: g.starts.map((s) => s.toISOString()) };
}

/** The dashboard's charts, from the read model (never from Prometheus), for the caller's account only. */
@Injectable()
export class StatsService {
  constructor(
    private readonly repo: DeliveryStatsRepository,
    private readonly feed: FeedRepository,
  ) {}

  async events(accountId: string, window: StatsWindow, now = new Date()): Promise<EventStatsView> {
    const g = bucketGrid(window, now);
    const rows = await this.feed.countsByStatus(accountId, g.from, g.to, g.bucketSeconds);
    return { ...gridView(g), series: countSeries(g, FEED_STATUSES, rows) };
  }

  async deliveries(accountId: string, window: StatsWindow, now = new Date()): Promise<DeliveryStatsView> {
    const g = bucketGrid(window, now);
    const rows = await this.repo.deliveryCounts(accountId, g.from, g.to, g.bucketSeconds);
    return { ...gridView(g), series: countSeries(g, DELIVERY_STATUSES, rows) };
  }

  async latency(accountId: string, window: StatsWindow, endpoints: number, now = new Date()): Promise<LatencyStatsView> {
    const g = bucketGrid(window, now, 'latency');
    const top = await this.repo.busiestEndpoints(accountId, g.from, g.to, endpoints);
    const buckets = await this.repo.latencyBuckets(top.map((t) => t.endpoint_id), g.from, g.to, g.bucketSeconds);
    const series = new Map<string, EndpointLatencySeries>(
      top.map((t) => [t.endpoint_id, {
        endpointId: t.endpoint_id, url: t.url, attempts: t.attempts, p50: ms(t.p50), p99: ms(t.p99),
        p50s: new Array<number | null>(g.starts.length).fill(null), p99s: new Array<number | null>(g.starts.length).fill(null),
      }]),
    );
    for (const b of buckets) {
      const s = series.get(b.endpoint_id);
      const i = bucketIndex(g, new Date(b.bucket));
      if (!s || i < 0) continue;
      s.p50s[i] = ms(b.p50);
      s.p99s[i] = ms(b.p99);
    }
    return { ...gridView(g), endpoints: [...series.values()] };
  }
}
