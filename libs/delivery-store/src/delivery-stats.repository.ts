import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import type { DeliveryStatus } from './delivery-status';

export interface DeliveryStatusCount {
  bucket: Date;
  key: DeliveryStatus;
  count: number;
}

/** Buckets start on multiples of their width since the Unix epoch (control-api's `bucketGrid` lays them out so). */
const BIN = (col: string, param: string) => `date_bin(make_interval(secs => ${param}), ${col}, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

/** An attempt that was sent (a refused or skipped one has no latency to speak of). */
const SENT = `outcome <> 'skipped' AND (http_status IS NOT NULL OR latency_ms > 0)`;

export interface EndpointLatencyRow {
  endpoint_id: string;
  url: string;
  attempts: number;
  p50: number;
  p99: number;
}

export interface LatencyBucketRow {
  endpoint_id: string;
  bucket: Date;
  attempts: number;
  p50: number;
  p99: number;
}

/**
 * The dashboard charts' aggregates of deliveries and their attempts, always for one account (the
 * events chart's come from libs/feed-store). Each statement stays on an index that starts with the
 * account (or its endpoints) and the time: `deliveries (account_id, created_at)`,
 * `delivery_attempts (endpoint_id, attempted_at)`.
 */
@Injectable()
export class DeliveryStatsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async deliveryCounts(accountId: string, from: Date, to: Date, bucketSeconds: number): Promise<DeliveryStatusCount[]> {
    return this.ds.query(
      `SELECT ${BIN('created_at', '$4')} AS bucket, status AS key, count(*)::int AS count
         FROM deliveries WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
        GROUP BY 1, 2`,
      [accountId, from, to, bucketSeconds],
    );
  }

  /** The account's `limit` endpoints with the most sent attempts in the window, with their percentiles (ms). */
  async busiestEndpoints(accountId: string, from: Date, to: Date, limit: number): Promise<EndpointLatencyRow[]> {
    return this.ds.query(
      `SELECT a.endpoint_id, e.url, count(*)::int AS attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY a.latency_ms) AS p99
         FROM endpoints e JOIN delivery_attempts a ON a.endpoint_id = e.id
        WHERE e.account_id = $1 AND a.attempted_at >= $2 AND a.attempted_at < $3 AND ${SENT}
        GROUP BY a.endpoint_id, e.url
        ORDER BY attempts DESC, a.endpoint_id
        LIMIT $4`,
      [accountId, from, to, limit],
    );
  }

  /** p50/p99 (ms) per bucket for the given endpoints (already known to be the account's). */
  async latencyBuckets(endpointIds: string[], from: Date, to: Date, bucketSeconds: number): Promise<LatencyBucketRow[]> {
    if (endpointIds.length === 0) return [];
    return this.ds.query(
      `SELECT endpoint_id, ${BIN('attempted_at', '$4')} AS bucket, count(*)::int AS attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
         FROM delivery_attempts
        WHERE endpoint_id = ANY($1::text[]) AND attempted_at >= $2 AND attempted_at < $3 AND ${SENT}
        GROUP BY 1, 2`,
      [endpointIds, from, to, bucketSeconds],
    );
  }
}
