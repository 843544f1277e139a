import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import { counter, histogram, LATENCY_BUCKETS, scrapeGauge } from '@hookstream/platform';
import { EndpointCache } from '../endpoints/endpoint-cache.service';
import type { AttemptDecision } from './attempt-outcome';
import { DeliveryDispatcher } from './delivery-dispatcher.service';

/*
 * `endpoint` is empty (Prometheus drops empty labels) unless DELIVERY_METRICS_ENDPOINT_LABELS=true:
 * one series per endpoint is fine for a few hundred endpoints, not for a multi-tenant fleet.
 */
const attempts = counter<'outcome' | 'endpoint'>({
  name: 'hookstream_delivery_attempts_total',
  help: 'Attempts by outcome: succeeded, failed (another attempt is scheduled), exhausted, endpoint_disabled (410 Gone), skipped (not sent: endpoint disabled or unknown)',
  labelNames: ['outcome', 'endpoint'],
});
const deliveries = counter<'status' | 'endpoint'>({
  name: 'hookstream_delivery_deliveries_total',
  help: 'Deliveries that reached a final state: succeeded, exhausted (retries used up) or cancelled',
  labelNames: ['status', 'endpoint'],
});
const attemptSeconds = histogram<'endpoint'>({
  name: 'hookstream_delivery_attempt_duration_seconds',
  help: 'Outbound attempt latency, connect to response (attempts that were sent)',
  labelNames: ['endpoint'],
  buckets: LATENCY_BUCKETS,
});
const disabledByReceiver = counter({ name: 'hookstream_delivery_endpoints_disabled_total', help: 'Endpoints disabled because they answered 410 Gone' });

/** Final states of a delivery row; `failed` means another attempt is scheduled. */
const FINAL = new Set(['succeeded', 'exhausted', 'cancelled']);

/** Counts one attempt and, when it ended the delivery, the delivery. */
export function recordAttemptMetrics(decision: Pick<AttemptDecision, 'outcome' | 'status'>, latencyMs: number, endpointId: string, endpointLabels: boolean): void {
  const endpoint = endpointLabels ? endpointId : '';
  attempts.inc({ outcome: decision.outcome, endpoint });
  if (latencyMs > 0) attemptSeconds.observe({ endpoint }, latencyMs / 1000);
  if (FINAL.has(decision.status)) deliveries.inc({ status: decision.status, endpoint });
  if (decision.outcome === 'endpoint_disabled') disabledByReceiver.inc();
}

/** Counted deliveries at most; a larger backlog reads as this many (the count stays cheap). */
const BACKLOG_CAP = 100_000;

/**
 * Gauges read at scrape time: the retry backlog in the table (shared by all replicas, so every
 * replica reports the same numbers: aggregate with max), this process's open circuits and the
 * endpoints it will not send to. The backlog query runs at most every 5 s whatever the scrape rate.
 */
@Injectable()
export class DeliveryGauges implements OnModuleInit {
  private backlog: { due: number; scheduled: number; at: number } = { due: 0, scheduled: 0, at: 0 };
  private reading?: Promise<void>;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly endpoints: EndpointCache,
  ) {}

  onModuleInit(): void {
    const readBacklog = async () => {
      await this.readBacklog();
      return this.backlog;
    };
    const openCircuits = () => this.dispatcher.openCircuits();
    const disabled = () => this.endpoints.disabledCount();
    const inFlight = () => this.dispatcher.stats().inFlight;
    scrapeGauge<'state'>({
      name: 'hookstream_delivery_backlog',
      help: `Deliveries waiting in the table (counted up to ${BACKLOG_CAP}): due = their time has come, scheduled = waiting for a later attempt (or leased to an attempt in progress)`,
      labelNames: ['state'],
      async collect() {
        const b = await readBacklog();
        this.set({ state: 'due' }, b.due);
        this.set({ state: 'scheduled' }, b.scheduled);
      },
    });
    scrapeGauge({
      name: 'hookstream_delivery_open_circuits',
      help: 'Endpoints whose circuit breaker is open or half-open in this process',
      collect() {
        this.set(openCircuits());
      },
    });
    scrapeGauge({
      name: 'hookstream_delivery_endpoints_disabled',
      help: 'Endpoints known to this process that it does not send to (disabled in the config, or after a 410 Gone)',
      collect() {
        this.set(disabled());
      },
    });
    scrapeGauge({
      name: 'hookstream_delivery_in_flight',
      help: 'Outbound attempts in flight in this process',
      collect() {
        this.set(inFlight());
      },
    });
  }

  private async readBacklog(): Promise<void> {
    if (Date.now() - this.backlog.at < 5000) return;
    this.reading ??= this.ds
      .query(
        `SELECT (SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at <= now() LIMIT ${BACKLOG_CAP}) d)::int AS due,
                (SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at > now() LIMIT ${BACKLOG_CAP}) s)::int AS scheduled`,
      )
      .then((rows: { due: number; scheduled: number }[]) => {
        this.backlog = { due: rows[0]?.due ?? 0, scheduled: rows[0]?.scheduled ?? 0, at: Date.now() };
      })
      // A scrape must not fail because the database is away; the last numbers stay (readiness says why).
      .catch(() => undefined)
      .finally(() => {
        this.reading = undefined;
      });
    await this.reading;
  }
}
