/** Every Kafka topic Hookstream owns. Names are `hookstream.<name>.v1`; a `.dlq` twin exists per consumed topic. */
export const Topics = {
  eventsRaw: 'hookstream.events.raw.v1',
  eventsValid: 'hookstream.events.valid.v1',
  eventsEnriched: 'hookstream.events.enriched.v1',
  eventsRejected: 'hookstream.events.rejected.v1',
  eventsDuplicate: 'hookstream.events.duplicate.v1',
  contactEvents: 'hookstream.contact-events.v1',
  deliveries: 'hookstream.deliveries.v1',
  deliveryResults: 'hookstream.delivery-results.v1',
  config: 'hookstream.config.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const DLQ_SUFFIX = '.dlq';

export function dlqOf(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

/**
 * The largest record batch any Hookstream topic accepts (`max.message.bytes` of every topic, and
 * `message.max.bytes` of the local broker in tools/infra/kafka.sh; the k8s KafkaTopics carry it
 * too). The one number the other limits derive from; tests keep the copies in step.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * The largest `events.raw` record the gateway produces (value + key + headers). Half the topic
 * limit: the later stages' records carry the body again (the canonical event's attributes, a
 * rejected event's raw request, a dead letter's original) plus what they add.
 */
export const RAW_RECORD_MAX_BYTES = TOPIC_MAX_MESSAGE_BYTES / 2;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** -1 keeps forever (compacted topics). */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
  /** Topics that are consumed by a Hookstream app get a dead-letter twin. */
  consumed: boolean;
  /** `max.message.bytes`: TOPIC_MAX_MESSAGE_BYTES for every topic. */
  maxMessageBytes: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * The project's topic plan. Partition counts are the unit of scale-out: each consumer group
 * can run at most this many busy replicas. Retention covers a long weekend of downstream outage.
 */
export function topicPlan(defaultPartitions = 6): TopicSpec[] {
  const p = defaultPartitions;
  const base: Omit<TopicSpec, 'maxMessageBytes'>[] = [
    { name: Topics.eventsRaw, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.eventsValid, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.eventsEnriched, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.eventsRejected, partitions: p, retentionMs: 14 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.eventsDuplicate, partitions: p, retentionMs: 4 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.contactEvents, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.deliveries, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.deliveryResults, partitions: p, retentionMs: 7 * DAY, cleanupPolicy: 'delete', consumed: true },
    { name: Topics.config, partitions: 1, retentionMs: -1, cleanupPolicy: 'compact', consumed: false },
  ];
  const dlqs = base
    .filter((t) => t.consumed)
    .map<Omit<TopicSpec, 'maxMessageBytes'>>((t) => ({ name: dlqOf(t.name), partitions: 1, retentionMs: 30 * DAY, cleanupPolicy: 'delete', consumed: false }));
  return [...base, ...dlqs].map((t) => ({ ...t, maxMessageBytes: TOPIC_MAX_MESSAGE_BYTES }));
}
