import { Injectable } from '@nestjs/common';
import { counter, histogram, LATENCY_BUCKETS } from '@hookstream/platform';
import type { Counter } from 'prom-client';

/** Labels of a request before its source is known (bad URL, body unreadable, unknown source). */
export const UNKNOWN_DIALECT = 'unknown';

/**
 * The gateway's metrics: requests by kind (single/batch), source dialect and status; body bytes;
 * how long Kafka took to acknowledge. Label values come from fixed sets (dialects are an enum,
 * statuses the few the gateway answers), so cardinality stays bounded.
 */
@Injectable()
export class IngestMetrics {
  private readonly requests = counter<'kind' | 'dialect' | 'status'>({
    name: 'hookstream_ingest_requests_total',
    help: 'Webhook requests answered, by kind (single, batch), source dialect and HTTP status',
    labelNames: ['kind', 'dialect', 'status'],
  });
  private readonly bodyBytes = histogram<'kind'>({
    name: 'hookstream_ingest_body_bytes',
    help: 'Webhook request body sizes',
    labelNames: ['kind'],
    buckets: [128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
  });
  readonly produceSeconds = histogram({
    name: 'hookstream_ingest_produce_duration_seconds',
    help: 'Time from handing events to the producer to Kafka acknowledging them (acks=all)',
    buckets: LATENCY_BUCKETS,
  });
  readonly events = counter({ name: 'hookstream_ingest_events_total', help: 'Events accepted (202) onto events.raw' });
  // A child per label set, looked up once instead of hashing the labels on every request.
  private readonly children = new Map<string, Counter.Internal>();

  request(kind: string, dialect: string | undefined, status: number, bodyBytes: number): void {
    const d = dialect ?? UNKNOWN_DIALECT;
    const key = `${kind} ${d} ${status}`;
    let c = this.children.get(key);
    if (!c) {
      c = this.requests.labels({ kind, dialect: d, status: String(status) });
      this.children.set(key, c);
    }
    c.inc();
    if (bodyBytes > 0) this.bodyBytes.observe({ kind }, bodyBytes);
  }
}
