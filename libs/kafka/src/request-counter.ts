import type { Admin, AdminConfig, Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';

/** Which kind of kafkajs client sent a request; `group` is the consumer group ('' for producers and admins). */
export interface KafkaRequestCount {
  client: 'producer' | 'consumer' | 'admin';
  group: string;
  api: string;
  count: number;
}

/**
 * Requests this process sent to Kafka, by client and API (Produce, Fetch, OffsetCommit, Heartbeat,
 * Metadata, …), counted from kafkajs's `REQUEST` instrumentation event (emitted once per request
 * that got its response). A broker spends roughly a fixed amount of CPU per request, so this is
 * what the broker's CPU per event follows. Read at scrape time (`hookstream_kafka_requests_total`).
 */
export class KafkaRequestCounter {
  private readonly counts = new Map<string, KafkaRequestCount>();

  record(client: KafkaRequestCount['client'], group: string, api: string): void {
    const key = `${client}\u0000${group}\u0000${api}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { client, group, api, count: 1 });
  }

  snapshot(): KafkaRequestCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  /** Requests of one API (all clients), e.g. `total('Fetch')`; every API without an argument. */
  total(api?: string): number {
    let n = 0;
    for (const c of this.counts.values()) if (api === undefined || c.api === api) n += c.count;
    return n;
  }
}

/** The process's counter: every client built by `createKafkaClient` reports here. */
export const kafkaRequests = new KafkaRequestCounter();

interface RequestEvent {
  payload: { apiName: string };
}

/**
 * Makes every producer, consumer and admin client built from `kafka` count its requests into
 * `counter`. One listener per client; kafkajs builds the event object only when a listener exists
 * (one small object per request).
 */
export function countKafkaRequests(kafka: Kafka, counter: KafkaRequestCounter = kafkaRequests): Kafka {
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  const admin = kafka.admin.bind(kafka);
  kafka.producer = (cfg?: ProducerConfig): Producer => {
    const p = producer(cfg);
    p.on(p.events.REQUEST, (e: RequestEvent) => counter.record('producer', '', e.payload.apiName));
    return p;
  };
  kafka.consumer = (cfg: ConsumerConfig): Consumer => {
    const c = consumer(cfg);
    c.on(c.events.REQUEST, (e: RequestEvent) => counter.record('consumer', cfg.groupId, e.payload.apiName));
    return c;
  };
  kafka.admin = (cfg?: AdminConfig): Admin => {
    const a = admin(cfg);
    a.on(a.events.REQUEST, (e: RequestEvent) => counter.record('admin', '', e.payload.apiName));
    return a;
  };
  return kafka;
}
