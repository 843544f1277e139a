import { CE_SPEC_VERSION, DLQ_HEADERS, dlqOf, topicPlan, TOPIC_CONTRACTS, type TopicContract, type TopicSpec } from '@hookstream/contracts';
import { dtoSchemas, type JsonSchema, type JsonValue } from './json-schema';

export const ASYNCAPI_VERSION = '3.0.0';
const KAFKA_BINDING = '0.5.0';
const SCHEMA_REF = '#/components/schemas/';

export const ASYNCAPI_DESCRIPTION = `Hookstream's Kafka topics, for services that subscribe to them directly.

**Envelope.** Every record is a CloudEvents 1.0 event in Kafka binary content mode: the attributes are
\`ce_*\` headers (\`ce_specversion\`, \`ce_id\`, \`ce_type\`, \`ce_source\`, \`ce_time\`, optional \`ce_subject\`),
\`content-type: application/json\`, and the value is the JSON data. A W3C \`traceparent\` header continues the trace.
Any CloudEvents SDK's Kafka binding decodes them; so does any Kafka client reading headers.

**Delivery.** At least once: a consumer may see a record again after a rebalance or a crash. Deduplicate on
\`ce_id\` (stable for a given event). Ordering holds per key (see each topic), never across keys or partitions.
Messages that keep failing in a Hookstream consumer go to the topic's \`.dlq\` twin with \`hookstream_dlq_*\` headers.

**Subscribing.** Use a consumer group of your own (never one of the \`hookstream-*\` groups listed below, or you take
their partitions), commit after your own effects are durable, and ignore members you do not know: fields are added
without notice.

**Compatibility.** Within a topic version (\`hookstream.<name>.v1\`) changes are additive only. A removed or retyped
field, a field newly required, a narrowed enum or a removed topic needs a new topic version (\`.v2\`), published
beside the old one. CI enforces this against the committed copy of this document (libs/schemas/README.md).`;

export interface AsyncApiOptions {
  /** Partition count of the non-DLQ topics (KAFKA_TOPIC_PARTITIONS). */
  partitions?: number;
  /** The document's own version (info.version). */
  version?: string;
}

/** `hookstream.events.enriched.v1` → `events.enriched.v1`: channel and message ids. */
export function channelId(topic: string): string {
  return topic.replace(/^hookstream\./, '');
}

/** The AsyncAPI 3.0 document of every topic and its DLQ twin, built from the topic contracts and the DTO classes. */
export function buildAsyncApi(contracts: readonly TopicContract[] = TOPIC_CONTRACTS, opts: AsyncApiOptions = {}): JsonSchema {
  const plan = new Map(topicPlan(opts.partitions ?? 6).map((t) => [t.name, t]));
  const schemas = dtoSchemas(contracts.flatMap((c) => c.value), SCHEMA_REF);
  const channels: JsonSchema = {};
  const messages: JsonSchema = {};
  const operations: JsonSchema = {};

  for (const c of contracts) {
    const spec = plan.get(c.topic);
    if (!spec) throw new Error(`${c.topic} has a contract but is not in topicPlan(): add it there`);
    const id = channelId(c.topic);
    messages[id] = message(c, false);
    channels[id] = channel(c, spec, id, false);
    for (const app of c.producedBy) operations[`${app}.send.${id}`] = operation('send', id, `${app} publishes ${c.title.toLowerCase()}.`);
    for (const g of c.consumedBy) {
      operations[`${g.app}.receive.${id}`] = operation('receive', id, `${g.app} consumes ${c.title.toLowerCase()} as group \`${g.groupId}\`.`, g.groupId);
    }
    const dlqSpec = plan.get(dlqOf(c.topic));
    if (dlqSpec) {
      const dlqId = channelId(dlqSpec.name);
      messages[dlqId] = message(c, true);
      channels[dlqId] = channel(c, dlqSpec, dlqId, true);
      for (const g of c.consumedBy) {
        operations[`${g.app}.send.${dlqId}`] = operation('send', dlqId, `${g.app}'s consumer moves a ${c.title.toLowerCase()} message here after its retries.`);
      }
    }
  }

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Hookstream topics',
      version: opts.version ?? '1.0.0',
      description: ASYNCAPI_DESCRIPTION,
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The embedded single-node broker of `npm start`.' },
      production: {
        host: '{bootstrap}',
        protocol: 'kafka-secure',
        description: 'Three or more brokers, RF 3, min.insync.replicas 2, TLS + SASL/SCRAM for every client (your deployment\'s KAFKA_BROKERS).',
        variables: { bootstrap: { default: 'kafka:9093', description: 'Bootstrap servers' } },
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

function channel(c: TopicContract, spec: TopicSpec, id: string, dlq: boolean): JsonSchema {
  const retention = spec.retentionMs < 0 ? 'kept forever (compacted)' : `retained ${Math.round(spec.retentionMs / 86_400_000)} days`;
  const description = dlq
    ? `Dead letters of ${c.topic}: a message a Hookstream consumer could not process after its retries, unchanged (same key, value and headers), plus \`hookstream_dlq_*\` headers. One partition, ${retention}. Inspect and replay by hand.`
    : `${c.description}\n\nKey: ${c.key.description} Ordering: ${c.ordering} Partitions: ${spec.partitions} by default (KAFKA_TOPIC_PARTITIONS), ${retention}.`;
  return {
    address: spec.name,
    title: dlq ? `${c.title} (dead letters)` : c.title,
    description,
    messages: { [id]: { $ref: `#/components/messages/${id}` } },
    bindings: {
      kafka: {
        topic: spec.name,
        partitions: spec.partitions,
        topicConfiguration: { 'cleanup.policy': [spec.cleanupPolicy], 'retention.ms': spec.retentionMs },
        bindingVersion: KAFKA_BINDING,
      },
    },
  };
}

function operation(action: 'send' | 'receive', id: string, description: string, groupId?: string): JsonSchema {
  const op: JsonSchema = {
    action,
    channel: { $ref: `#/channels/${id}` },
    description,
    messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
  };
  if (groupId) op['bindings'] = { kafka: { groupId: { type: 'string', enum: [groupId] }, bindingVersion: KAFKA_BINDING } };
  return op;
}

function message(c: TopicContract, dlq: boolean): JsonSchema {
  const refs: JsonSchema[] = c.value.map((cls) => ({ $ref: `${SCHEMA_REF}${cls.name}` }));
  let payload: JsonSchema = refs.length === 1 && refs[0] ? refs[0] : { oneOf: refs };
  if (c.tombstones) payload = { anyOf: [payload, { type: 'null', description: 'Tombstone: the entity was deleted.' }] };
  return {
    name: c.value.map((cls) => cls.name).join(' | '),
    title: dlq ? `${c.title} (dead letter)` : c.title,
    contentType: 'application/json',
    headers: headersSchema(c, dlq),
    payload,
    bindings: { kafka: { key: { type: 'string', description: c.key.description, examples: [c.key.example] }, bindingVersion: KAFKA_BINDING } },
  };
}

function headersSchema(c: TopicContract, dlq: boolean): JsonSchema {
  const ceType: JsonSchema = 'values' in c.ceType
    ? { type: 'string', enum: [...c.ceType.values] }
    : { type: 'string', pattern: c.ceType.pattern, description: c.ceType.description };
  const properties: Record<string, JsonValue> = {
    ce_specversion: { type: 'string', enum: [CE_SPEC_VERSION], description: 'CloudEvents spec version.' },
    ce_id: { type: 'string', description: 'Unique per event and stable on redelivery: deduplicate on it.' },
    ce_type: ceType,
    ce_source: { type: 'string', description: `URI reference: \`${c.ceSource}\`.` },
    ce_time: { type: 'string', format: 'date-time', description: 'When the event happened (RFC 3339).' },
    'content-type': { type: 'string', enum: ['application/json'] },
    traceparent: { type: 'string', pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$', description: 'W3C trace context of the producing span.' },
  };
  if (c.ceSubject) properties['ce_subject'] = { type: 'string', description: `CloudEvents subject: ${c.ceSubject}.` };
  for (const [name, h] of Object.entries(c.optionalHeaders ?? {})) properties[name] = { type: 'string', enum: [...h.values], description: h.description };
  // A dead letter keeps whatever headers the failed message had, which may be none at all.
  const required = dlq ? [] : ['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_time', 'content-type', 'traceparent'];
  if (dlq) {
    properties[DLQ_HEADERS.error] = { type: 'string', description: 'The last error (at most 2000 characters).' };
    properties[DLQ_HEADERS.attempts] = { type: 'string', pattern: '^[0-9]+$', description: 'How many times the consumer tried.' };
    properties[DLQ_HEADERS.topic] = { type: 'string', enum: [c.topic], description: 'The topic the message came from.' };
    properties[DLQ_HEADERS.partition] = { type: 'string', pattern: '^[0-9]+$' };
    properties[DLQ_HEADERS.offset] = { type: 'string', pattern: '^[0-9]+$' };
    properties[DLQ_HEADERS.failedAt] = { type: 'string', format: 'date-time' };
    properties[DLQ_HEADERS.group] = { type: 'string', description: 'The consumer group that gave up (a replay is addressed to it alone with hookstream_replay_group).' };
    // The group header is optional: dead letters written before it existed lack it.
    required.push(...Object.values(DLQ_HEADERS).filter((h) => h !== DLQ_HEADERS.group));
  }
  return { type: 'object', required, properties };
}
