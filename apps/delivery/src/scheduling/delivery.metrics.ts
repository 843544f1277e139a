import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import { scrapeGauge } from '@hookstream/platform';
import { EndpointCache } from '../config-cache/endpoint.cache';
import { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';

/** Counted deliveries at most; a larger backlog reads as this many (the count stays cheap). */
const BACKLOG_CAP = 100_000;

/**
 * Gauges read at scrape time: the retry backlog in the table (shared by all replicas, so every
 * replica reports the same numbers: aggregate with max), this process's open circuits and the
 * endpoints it will not send to. The backlog query runs at most every 5 s whatever the scrape rate.
 */
@Injectable()
export class DeliveryMetrics implements OnModuleInit {
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
    const recording = () => this.dispatcher.stats().recording;
    const queued = () => this.dispatcher.stats().queued;
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
      help: "Requests holding one of this process's DELIVERY_MAX_IN_FLIGHT slots: sent, and not answered yet",
      collect() {
        this.set(inFlight());
      },
    });
    scrapeGauge({
      name: 'hookstream_delivery_recording',
      help: "Answered attempts holding one of this process's DELIVERY_MAX_RECORDING slots: their result being published to Kafka and recorded in the table",
      collect() {
        this.set(recording());
      },
    });
    scrapeGauge({
      name: 'hookstream_delivery_queued',
      help: "Deliveries in this process's memory queues, waiting for their attempt to start (at most DELIVERY_MAX_QUEUED across all endpoints)",
      collect() {
        this.set(queued());
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
