import { AutomationSnapshotDto, EndpointSnapshotDto, SourceSnapshotDto, type ConfigKind } from './config/config-change';
import { DeliveryRequestDto, DeliveryResultDto } from './delivery/delivery.dto';
import { CanonicalEventDto } from './events/canonical-event.dto';
import { DuplicateEventDto, RawEventDto, RejectedEventDto } from './events/raw-event.dto';
import { Topics } from './topics';

/** The consumer group of each Hookstream app. A subscriber outside Hookstream picks its own, never one of these. */
export const ConsumerGroups = {
  validator: 'hookstream-validator',
  enricher: 'hookstream-enricher',
  automation: 'hookstream-automation',
  delivery: 'hookstream-delivery',
  projector: 'hookstream-projector',
} as const;

/** Headers the transport adds when it moves a message to `<topic>.dlq` (the original headers are kept). */
export const DLQ_HEADERS = {
  error: 'hookstream_dlq_error',
  attempts: 'hookstream_dlq_attempts',
  topic: 'hookstream_dlq_topic',
  partition: 'hookstream_dlq_partition',
  offset: 'hookstream_dlq_offset',
  failedAt: 'hookstream_dlq_failed_at',
  /** The consumer group that gave up (events.raw and events.enriched are read by two groups each). */
  group: 'hookstream_dlq_group',
} as const;

/**
 * Headers automation sets on what it publishes to `contact-events`. `planned: 'automation'`: the
 * pass that published the contact event already matched it against subscriptions and rules, in
 * process, in the same batch as its cause; automation commits past it unread. Other subscribers
 * ignore it.
 */
export const CONTACT_EVENT_HEADERS = {
  planned: 'hookstream_planned',
} as const;

export type DtoClass = new () => object;

/** What a subscriber needs to know about one topic; the AsyncAPI document is generated from these. */
export interface TopicContract {
  topic: string;
  title: string;
  description: string;
  producedBy: string[];
  /** Grouped consumers (the apps' own groups); per-process tail consumers are described in `description`. */
  consumedBy: { app: string; groupId: string }[];
  key: { description: string; example: string };
  /** The DTO class(es) of the value; several = one of them. */
  value: DtoClass[];
  /** A null value (tombstone) is meaningful on this topic. */
  tombstones?: boolean;
  /** `ce_type`: the exact values, or a pattern when the type embeds the event type. */
  ceType: { values: string[] } | { pattern: string; description: string };
  /** `ce_source`, as a URI template. */
  ceSource: string;
  /** `ce_subject`, when set. */
  ceSubject?: string;
  /** Optional Hookstream headers beside the CloudEvents ones (name → allowed values and meaning). */
  optionalHeaders?: Record<string, { values: string[]; description: string }>;
  ordering: string;
}

const CONFIG_KINDS: ConfigKind[] = ['source', 'endpoint', 'automation'];

/**
 * Every topic Hookstream owns, as a contract. Keys and types here are what the producers
 * write (apps/…/*.service.ts); the AsyncAPI document and its compatibility gate are built
 * from this list and the DTO classes, so a new topic or message shape is published by adding it here.
 */
export const TOPIC_CONTRACTS: readonly TopicContract[] = [
  {
    topic: Topics.eventsRaw,
    title: 'Raw events',
    description: 'Every request the ingest gateway accepted (after auth and body parsing), before validation. Also written by control-api\'s "test your webhook".',
    producedBy: ['ingest-gateway', 'control-api'],
    consumedBy: [
      { app: 'validator', groupId: ConsumerGroups.validator },
      { app: 'projector', groupId: ConsumerGroups.projector },
    ],
    key: { description: 'The source id: one source\'s events stay in order.', example: 'src_01jq3m4k8x2v' },
    value: [RawEventDto],
    ceType: { values: ['hookstream.event.received'] },
    ceSource: '/sources/{sourceId}',
    ordering: 'Per source (the key); none across sources.',
  },
  {
    topic: Topics.eventsValid,
    title: 'Valid events',
    description: 'Accepted, normalised, deduplicated canonical events, before enrichment.',
    producedBy: ['validator'],
    consumedBy: [{ app: 'enricher', groupId: ConsumerGroups.enricher }],
    key: { description: '`<accountId>:<email>` of the person, or `<accountId>:<event id>` when there is no email: one person\'s events stay in order.', example: 'acc_01jq3m:sarah@example.com' },
    value: [CanonicalEventDto],
    ceType: { pattern: '^hookstream\\.event\\..+$', description: '`hookstream.event.<type>`, e.g. `hookstream.event.purchase`' },
    ceSource: '/sources/{sourceId}',
    ceSubject: 'the account id',
    ordering: 'Per person within an account (the key); none across keys.',
  },
  {
    topic: Topics.eventsEnriched,
    title: 'Enriched events',
    description: 'Canonical events with location, names and product selection filled in: the topic internal services usually subscribe to.',
    producedBy: ['enricher'],
    consumedBy: [
      { app: 'automation', groupId: ConsumerGroups.automation },
      { app: 'projector', groupId: ConsumerGroups.projector },
    ],
    key: { description: '`<accountId>:<email>` of the person, or `<accountId>:<event id>` when there is no email (as on events.valid).', example: 'acc_01jq3m:sarah@example.com' },
    value: [CanonicalEventDto],
    ceType: { pattern: '^hookstream\\.event\\..+$', description: '`hookstream.event.<type>`, e.g. `hookstream.event.purchase`' },
    ceSource: '/sources/{sourceId}',
    ceSubject: 'the account id',
    ordering: 'Per person within an account (the key); none across keys.',
  },
  {
    topic: Topics.eventsRejected,
    title: 'Rejected events',
    description: 'Requests that failed validation, with every reason; shown in the feed.',
    producedBy: ['validator'],
    consumedBy: [{ app: 'projector', groupId: ConsumerGroups.projector }],
    key: { description: 'The source id.', example: 'src_01jq3m4k8x2v' },
    value: [RejectedEventDto],
    ceType: { values: ['hookstream.event.rejected'] },
    ceSource: '/sources/{sourceId}',
    ordering: 'Per source (the key).',
  },
  {
    topic: Topics.eventsDuplicate,
    title: 'Duplicate events',
    description: 'Requests recognised as repeats of an earlier event (same dedupe key); recorded, never delivered twice.',
    producedBy: ['validator'],
    consumedBy: [{ app: 'projector', groupId: ConsumerGroups.projector }],
    key: { description: 'The source id.', example: 'src_01jq3m4k8x2v' },
    value: [DuplicateEventDto],
    ceType: { values: ['hookstream.event.duplicate'] },
    ceSource: '/sources/{sourceId}',
    ordering: 'Per source (the key).',
  },
  {
    topic: Topics.contactEvents,
    title: 'Contact events',
    description: 'Contact changes made by automation (subscribed, updated, tag added, list added …), announced as canonical events with a causation depth (loop protection). Automation matches them against subscriptions and rules in the same pass as their cause and marks them with the `hookstream_planned: automation` header. It consumes the topic only where an older version published records without that header (its group has a committed offset there; `AUTOMATION_CONSUME_CONTACT_EVENTS`): it then plans those as they arrive and commits past the marked ones unread.',
    producedBy: ['automation'],
    consumedBy: [{ app: 'automation', groupId: ConsumerGroups.automation }],
    key: { description: '`<accountId>:<email>` of the contact, or `<accountId>:<event id>`.', example: 'acc_01jq3m:sarah@example.com' },
    value: [CanonicalEventDto],
    ceType: { pattern: '^hookstream\\.event\\.contact\\..+$', description: '`hookstream.event.contact.<change>`, e.g. `hookstream.event.contact.tag_added`' },
    ceSource: '/accounts/{accountId}/contacts',
    ceSubject: 'the account id',
    optionalHeaders: {
      [CONTACT_EVENT_HEADERS.planned]: { values: ['automation'], description: 'Automation already matched this event against subscriptions and rules when it published it; automation skips it.' },
    },
    ordering: 'Per contact (the key).',
  },
  {
    topic: Topics.deliveries,
    title: 'Delivery requests',
    description: 'One outbound webhook to make (subscription, automation rule or replay).',
    producedBy: ['automation'],
    consumedBy: [{ app: 'delivery', groupId: ConsumerGroups.delivery }],
    key: { description: 'The endpoint id: one endpoint\'s deliveries stay in order and a slow endpoint holds only its own partition share.', example: 'ep_01jq3m4k8x2v' },
    value: [DeliveryRequestDto],
    ceType: { values: ['hookstream.delivery.requested'] },
    ceSource: '/endpoints/{endpointId}',
    ceSubject: 'the event id',
    ordering: 'Per endpoint (the key).',
  },
  {
    topic: Topics.deliveryResults,
    title: 'Delivery results',
    description: 'The outcome of every delivery attempt.',
    producedBy: ['delivery'],
    consumedBy: [{ app: 'projector', groupId: ConsumerGroups.projector }],
    key: { description: 'The endpoint id.', example: 'ep_01jq3m4k8x2v' },
    value: [DeliveryResultDto],
    ceType: { values: ['hookstream.delivery.attempted', 'hookstream.endpoint.disabled'] },
    ceSource: '/endpoints/{endpointId}',
    ordering: 'Per endpoint (the key).',
  },
  {
    topic: Topics.config,
    title: 'Configuration',
    description:
      'Compacted snapshots of sources, endpoints and automations, read from the beginning by every app into memory (each replica with a group of its own). ' +
      'A null value (tombstone) deletes. Secrets travel hashed or encrypted with the deployment\'s SECRETS_KEY.',
    producedBy: ['control-api'],
    consumedBy: [],
    key: { description: '`<kind>:<id>`, kind one of source, endpoint, automation.', example: 'endpoint:ep_01jq3m4k8x2v' },
    value: [SourceSnapshotDto, EndpointSnapshotDto, AutomationSnapshotDto],
    tombstones: true,
    ceType: { values: CONFIG_KINDS.flatMap((k) => [`hookstream.config.${k}.updated`, `hookstream.config.${k}.deleted`]) },
    ceSource: 'hookstream/control-api',
    ceSubject: 'the key',
    ordering: 'Per entity (the key); one partition, so in publication order overall.',
  },
];

/** The topics whose contract lists this app's consumer group among its consumers, sorted. */
export function topicsConsumedBy(app: string): string[] {
  return TOPIC_CONTRACTS.filter((c) => c.consumedBy.some((g) => g.app === app))
    .map((c) => c.topic)
    .sort();
}
