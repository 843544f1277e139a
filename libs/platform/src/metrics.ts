import { Controller, Get, Header } from '@nestjs/common';
import { kafkaRequests, type ConsumerObserver, type CoalescingProducer, type KafkaRequestCounter } from '@hookstream/kafka';
import type { HealthRegistry } from './health';
import {
  collectDefaultMetrics, Counter, Gauge, Histogram, Registry,
  type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration,
} from 'prom-client';

/**
 * The process's one Prometheus registry, served at `GET /metrics`. Metrics are created through
 * `counter` / `gauge` / `histogram` below, which return the existing metric when the name is
 * already registered (several app instances in one test process share it).
 */
export const metricsRegistry = new Registry();

let defaultsOn = false;

/** Process and Node.js metrics (CPU, memory, event-loop lag, GC, handles); once per process. */
export function enableDefaultMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

function existing<M>(name: string, kind: string): M | undefined {
  const m = metricsRegistry.getSingleMetric(name);
  if (!m) return undefined;
  if (m.constructor.name !== kind) throw new Error(`metric ${name} is already registered as a ${m.constructor.name}, not a ${kind}`);
  return m as M;
}

export function counter<L extends string = string>(cfg: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return existing<Counter<L>>(cfg.name, 'Counter') ?? new Counter<L>({ ...cfg, registers: [metricsRegistry] });
}

export function gauge<L extends string = string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return existing<Gauge<L>>(cfg.name, 'Gauge') ?? new Gauge<L>({ ...cfg, registers: [metricsRegistry] });
}

export function histogram<L extends string = string>(cfg: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return existing<Histogram<L>>(cfg.name, 'Histogram') ?? new Histogram<L>({ ...cfg, registers: [metricsRegistry] });
}

/**
 * A gauge whose value `collect` reads at scrape time. Registering the name again replaces the
 * earlier one, so the newest app instance of a process (tests start several) reports.
 */
export function scrapeGauge<L extends string = string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  metricsRegistry.removeSingleMetric(cfg.name);
  return new Gauge<L>({ ...cfg, registers: [metricsRegistry] });
}

/**
 * The value of one series of a metric of this process: the first whose labels include `labels`
 * (`series` picks a histogram's `_count`, `_sum` or `_bucket`), undefined when there is none.
 */
export async function metricSample(name: string, labels: Record<string, string> = {}, series = name): Promise<number | undefined> {
  const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))?.value;
}

/** Latency buckets (seconds) for anything from a cached lookup to a slow outbound call. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

@Controller()
export class MetricsController {
  /** Prometheus text exposition format (0.0.4). */
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}

const consumerMetrics = () => ({
  lag: gauge<'group' | 'topic' | 'partition'>({
    name: 'hookstream_consumer_lag',
    help: 'Records between the committed offset and the high watermark, per partition this process works (set per batch and commit, and sampled from the broker every 10 s)',
    labelNames: ['group', 'topic', 'partition'],
  }),
  messages: counter<'group' | 'topic'>({ name: 'hookstream_consumer_messages_total', help: 'Messages handled and committed', labelNames: ['group', 'topic'] }),
  batchSize: histogram<'group' | 'topic'>({
    name: 'hookstream_consumer_batch_size',
    help: 'Messages per fetched batch',
    labelNames: ['group', 'topic'],
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  }),
  batchDuration: histogram<'group' | 'topic'>({
    name: 'hookstream_consumer_batch_duration_seconds',
    help: 'Time to handle and commit one fetched batch',
    labelNames: ['group', 'topic'],
    buckets: LATENCY_BUCKETS,
  }),
  calls: counter<'group' | 'topic'>({
    name: 'hookstream_consumer_handler_calls_total',
    help: 'Handler calls (every attempt); a batch handler call may hold the messages of several partitions',
    labelNames: ['group', 'topic'],
  }),
  callPartitions: counter<'group' | 'topic'>({
    name: 'hookstream_consumer_handler_call_partitions_total',
    help: 'Partitions whose messages the handler calls held, summed over calls (divided by the calls: partitions per call)',
    labelNames: ['group', 'topic'],
  }),
  errors: counter<'group' | 'topic'>({ name: 'hookstream_consumer_handler_errors_total', help: 'Handler calls that threw (every attempt)', labelNames: ['group', 'topic'] }),
  redeliveries: counter<'group' | 'topic'>({
    name: 'hookstream_consumer_redeliveries_total',
    help: 'Messages handed to a handler again (retries, and failed batches replayed one by one)',
    labelNames: ['group', 'topic'],
  }),
  dlq: counter<'group' | 'topic'>({ name: 'hookstream_consumer_dlq_messages_total', help: 'Messages written to the dead-letter topic', labelNames: ['group', 'topic'] }),
});

interface TopicChildren {
  messages: Counter.Internal;
  calls: Counter.Internal;
  callPartitions: Counter.Internal;
  batchSize: Histogram.Internal<string>;
  batchDuration: Histogram.Internal<string>;
}

/** `ConsumerObserver` on prom-client: what `createApp` gives the Kafka transport. */
export class ConsumerMetrics implements ConsumerObserver {
  private readonly m = consumerMetrics();
  private readonly perTopic = new Map<string, TopicChildren>();
  private readonly lagChildren = new Map<string, Gauge.Internal<string>>();

  constructor(private readonly group: string) {}

  private topic(topic: string): TopicChildren {
    let t = this.perTopic.get(topic);
    if (!t) {
      const labels = { group: this.group, topic };
      t = {
        messages: this.m.messages.labels(labels),
        calls: this.m.calls.labels(labels),
        callPartitions: this.m.callPartitions.labels(labels),
        batchSize: this.m.batchSize.labels(labels),
        batchDuration: this.m.batchDuration.labels(labels),
      };
      this.perTopic.set(topic, t);
    }
    return t;
  }

  private lag(topic: string, partition: number, value: number): void {
    const key = `${topic}\u0000${partition}`;
    let g = this.lagChildren.get(key);
    if (!g) {
      g = this.m.lag.labels({ group: this.group, topic, partition: String(partition) });
      this.lagChildren.set(key, g);
    }
    g.set(value);
  }

  batchStarted(topic: string, partition: number, messages: number, lag: number): void {
    this.topic(topic).batchSize.observe(messages);
    this.lag(topic, partition, lag);
  }

  committed(topic: string, partition: number, handled: number, lag: number): void {
    this.topic(topic).messages.inc(handled);
    this.lag(topic, partition, lag);
  }

  batchFinished(topic: string, _partition: number, seconds: number): void {
    this.topic(topic).batchDuration.observe(seconds);
  }

  handlerCalled(topic: string, _messages: number, partitions: number): void {
    const t = this.topic(topic);
    t.calls.inc();
    t.callPartitions.inc(partitions);
  }

  handlerFailed(topic: string): void {
    this.m.errors.inc({ group: this.group, topic });
  }

  redelivered(topic: string, messages: number): void {
    this.m.redeliveries.inc({ group: this.group, topic }, messages);
  }

  deadLettered(topic: string): void {
    this.m.dlq.inc({ group: this.group, topic });
  }

  lagSampled(topic: string, partition: number, lag: number): void {
    this.lag(topic, partition, lag);
  }

  /** A partition moved to another member: its series goes, so the sum over replicas counts it once. */
  assigned(partitions: ReadonlyMap<string, readonly number[]>): void {
    for (const key of [...this.lagChildren.keys()]) {
      const [topic, partition] = key.split('\u0000') as [string, string];
      if (partitions.get(topic)?.includes(Number(partition))) continue;
      this.m.lag.remove({ group: this.group, topic, partition });
      this.lagChildren.delete(key);
    }
  }
}

/** The producer's own counters, read at scrape time (nothing on the send path). */
export function registerProducerMetrics(producer: CoalescingProducer): void {
  const read = (field: keyof CoalescingProducer['stats']) =>
    function (this: Counter) {
      this.reset();
      this.inc(producer.stats[field]);
    };
  // Replaced on every app start (tests start several apps in one process): the newest producer counts.
  for (const name of ['hookstream_producer_requests_total', 'hookstream_producer_messages_total', 'hookstream_producer_failures_total']) {
    metricsRegistry.removeSingleMetric(name);
  }
  new Counter({ name: 'hookstream_producer_requests_total', help: 'Produce requests acknowledged by Kafka (acks=all)', registers: [metricsRegistry], collect: read('requests') });
  new Counter({ name: 'hookstream_producer_messages_total', help: 'Messages acknowledged by Kafka', registers: [metricsRegistry], collect: read('messages') });
  new Counter({ name: 'hookstream_producer_failures_total', help: 'Sends that failed or timed out', registers: [metricsRegistry], collect: read('failures') });
}

/** What `registerDbPoolMetrics` reads of a node-postgres pool (pg-pool's counts and its `connect` event). */
export interface DbPool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  on(event: 'connect', listener: () => void): unknown;
}

/**
 * The PostgreSQL connection pool, read at scrape time: connections by state (busy, idle), queries
 * waiting for one, and connections opened. Opened climbing under steady load means the pool
 * closes connections it then needs again (DB_POOL_IDLE_SECONDS); waiting above zero, that it is
 * too small for the work (DB_POOL_SIZE) or the server is slow.
 */
export function registerDbPoolMetrics(pool: DbPool): void {
  let opened = 0;
  pool.on('connect', () => {
    opened++;
  });
  scrapeGauge<'state'>({
    name: 'hookstream_db_pool_connections',
    help: 'PostgreSQL connections of the pool, by state: busy (running a query or transaction), idle',
    labelNames: ['state'],
    collect(this: Gauge<'state'>) {
      this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  scrapeGauge({
    name: 'hookstream_db_pool_waiting',
    help: 'Queries waiting for a PostgreSQL connection of the pool (all DB_POOL_SIZE busy)',
    collect(this: Gauge) {
      this.set(pool.waitingCount);
    },
  });
  metricsRegistry.removeSingleMetric('hookstream_db_pool_opened_total');
  new Counter({
    name: 'hookstream_db_pool_opened_total',
    help: 'PostgreSQL connections the pool opened (a backend started for each; see DB_POOL_IDLE_SECONDS)',
    registers: [metricsRegistry],
    collect(this: Counter) {
      this.reset();
      this.inc(opened);
    },
  });
}

/**
 * `hookstream_kafka_requests_total{client,group,api}`: the requests this process sent to Kafka
 * (every producer, consumer and admin client of `createKafkaClient`), read at scrape time. A
 * broker's CPU follows its request rate, so requests per event is what a change to batching,
 * fetching or committing moves.
 */
export function registerKafkaRequestMetric(counter: KafkaRequestCounter = kafkaRequests): void {
  metricsRegistry.removeSingleMetric('hookstream_kafka_requests_total');
  new Counter<'client' | 'group' | 'api'>({
    name: 'hookstream_kafka_requests_total',
    help: 'Requests sent to Kafka (answered), by client kind, consumer group and API (Produce, Fetch, OffsetCommit, Heartbeat, Metadata, …)',
    labelNames: ['client', 'group', 'api'],
    registers: [metricsRegistry],
    collect(this: Counter<'client' | 'group' | 'api'>) {
      this.reset();
      for (const c of counter.snapshot()) this.inc({ client: c.client, group: c.group, api: c.api }, c.count);
    },
  });
}

/**
 * `hookstream_ready`: 1 while `/health/ready` would answer 200. The checks (a Kafka and a
 * PostgreSQL round trip) run at most every 5 s, in the background of a scrape: a scrape answers
 * at once with the last result, so a frequent or slow scraper never waits on them.
 */
export function registerReadinessMetric(health: HealthRegistry, refreshMs = 5000): void {
  let last: number | undefined;
  let at = 0;
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (running ??= health
      .evaluate()
      .then((r) => {
        last = r.ok ? 1 : 0;
      })
      .catch(() => {
        last = 0;
      })
      .finally(() => {
        at = Date.now();
        running = undefined;
      }));
  scrapeGauge({
    name: 'hookstream_ready',
    help: 'Whether the app is ready (every dependency it needs answers, caches caught up, not draining); checked at most every 5 s',
    async collect() {
      if (last === undefined) await refresh();
      else if (Date.now() - at >= refreshMs) void refresh();
      // Draining shows at once, without waiting for the next check.
      this.set(health.shuttingDown ? 0 : (last ?? 0));
    },
  });
}
