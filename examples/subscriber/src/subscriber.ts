import { CloudEvent, Kafka as CloudEventsKafka, type KafkaMessage as CloudEventsMessage } from 'cloudevents';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { TopicContract } from './contract';

/** One record, decoded by the CloudEvents SDK and checked against the published schema. */
export interface ReceivedEvent {
  id: string;
  type: string;
  source: string;
  time: string | undefined;
  subject: string | undefined;
  traceparent: string | undefined;
  key: string | null;
  partition: number;
  offset: string;
  data: unknown;
}

export type Decoded = { ok: true; event: ReceivedEvent } | { ok: false; partition: number; offset: string; problems: string[] };

export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

/** CloudEvents binary mode → event (SDK), then headers and value against the topic's published schema. */
export function decode(contract: TopicContract, partition: number, message: KafkaMessage): Decoded {
  const headers = headerStrings(message.headers);
  const where = { partition, offset: message.offset };
  if (!message.value) return { ok: false, ...where, problems: ['no value (tombstone)'] };
  let event: CloudEvent<unknown>;
  try {
    const m: CloudEventsMessage<Buffer> = { key: message.key?.toString() ?? '', value: message.value, body: message.value, headers };
    event = CloudEventsKafka.toEvent(m) as CloudEvent<unknown>;
    event.validate();
  } catch (err) {
    return { ok: false, ...where, problems: [`not a CloudEvent: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const found = [...contract.checkHeaders(headers).map((p) => `headers${p}`), ...contract.checkValue(event.data).map((p) => `value${p}`)];
  if (found.length > 0) return { ok: false, ...where, problems: found };
  return {
    ok: true,
    event: {
      id: event.id, type: event.type, source: event.source, time: event.time, subject: event.subject,
      traceparent: headers['traceparent'], key: message.key?.toString() ?? null, partition, offset: message.offset, data: event.data,
    },
  };
}

export interface SubscriberOptions {
  brokers: string[];
  /** A group of your own: never one of Hookstream's `hookstream-*` groups. */
  groupId: string;
  contract: TopicContract;
  /** Your effect. Make it idempotent by `event.id` (ce_id): delivery is at least once. */
  onEvent(event: ReceivedEvent): Promise<void>;
  /** A record that breaks the contract: yours to park somewhere; it is not retried. */
  onInvalid(bad: Extract<Decoded, { ok: false }>): Promise<void>;
  onReady?(): void;
}

/**
 * A minimal Kafka subscriber to one Hookstream topic: its own consumer group, offsets committed
 * only after the handler resolved (kafkajs commits resolved offsets), so a crash redelivers rather
 * than loses.
 */
export class Subscriber {
  private consumer?: Consumer;

  constructor(private readonly opts: SubscriberOptions) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'example-subscriber', brokers: this.opts.brokers, logLevel: logLevel.WARN });
    const consumer = kafka.consumer({ groupId: this.opts.groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.opts.onReady?.());
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.contract.topic, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const d = decode(this.opts.contract, partition, message);
        if (d.ok) await this.opts.onEvent(d.event);
        else await this.opts.onInvalid(d);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
