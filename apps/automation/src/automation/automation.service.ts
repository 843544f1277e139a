import { Inject, Injectable, Logger } from '@nestjs/common';
import { childTraceparent, CONTACT_EVENT_HEADERS, Topics, type CanonicalEvent, type DeliveryRequestDto } from '@hookstream/contracts';
import { EVENT_PRODUCER, PermanentMessageError, RawJson, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import { contactIdFor, normalizeEmail, planEvent, type Contact } from '@hookstream/rules';
import type { AutomationConfig } from '../automation.config';
import { RulesCache } from '../config-cache/rules.cache';
import { contactKey, ContactsRepository } from './contacts.repository';
import { countSkipped, PlanTally } from './automation.metrics';
import { KeyedMutex } from './keyed-mutex';

/** Rounds of plan-produce-write before a batch that keeps losing contact races is handed back for a retry. */
const MAX_CONTACT_ROUNDS = 5;

/**
 * Bounds of what one round produces (the producer queues at most 64 MiB). With the contact events
 * planned in the same pass, one batch of events can cascade into tens of thousands of messages;
 * a round stops taking events once it passes either bound (an event's cascade is never split).
 */
export const ROUND_MAX_MESSAGES = 10_000;
const ROUND_MAX_BYTES = 16 * 1024 * 1024;

/** The value of the `hookstream_planned` header on the contact events this app publishes. */
export const PLANNED_BY = 'automation';

/** True for a contact event whose effects the pass that published it already planned (it is skipped). */
export function alreadyPlanned(m: InboundMessage): boolean {
  return m.headers[CONTACT_EVENT_HEADERS.planned] === PLANNED_BY;
}

/**
 * Turns enriched events (and the contact events they cause) into delivery requests.
 * One pass per event: the contact events an event causes are matched against subscriptions and
 * rules right away, in the same batch (breadth first, the loop guard applies), and published with
 * `hookstream_planned: automation` so that, when they come back on contact-events, they are
 * committed past unread.
 * Effects are exactly-once by construction: delivery and contact-event ids are derived from the
 * causing event, so a redelivered batch produces the same ids (deduplicated downstream), and the
 * contact rows are written only after everything produced is acknowledged.
 */
@Injectable()
export class AutomationService {
  private readonly log = new Logger(AutomationService.name);
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly cache: RulesCache,
    private readonly contacts: ContactsRepository,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(APP_CONFIG) private readonly config: AutomationConfig,
  ) {}

  async process(batch: InboundMessage<CanonicalEvent>[]): Promise<{ deliveries: number; contactEvents: number; skipped: number }> {
    // Contact events this app published were planned with their cause: nothing left to do.
    const messages = batch.filter((m) => !alreadyPlanned(m));
    const skipped = batch.length - messages.length;
    if (skipped > 0) countSkipped(skipped);
    if (messages.length === 0) return { deliveries: 0, contactEvents: 0, skipped };
    // Cheap structural check only (the producers validated the full contract): a value that is
    // not an event can never succeed, so the transport isolates it and dead-letters it at once.
    for (const m of messages) {
      if (!isEventShaped(m.value)) throw new PermanentMessageError(`${m.topic}[${m.partition}]@${m.offset} is not a canonical event`);
    }
    // Batches of one process that share a person run one after the other: the same person's
    // enriched events and unmarked contact events come from two topics, worked on side by side.
    return this.locks.run(wantedContacts(messages).keys(), async () => {
      let pending = messages;
      const total = { deliveries: 0, contactEvents: 0, skipped };
      for (let lostRounds = 0; pending.length > 0;) {
        const result = await this.run(pending, [...wantedContacts(pending).values()]);
        total.deliveries += result.deliveries;
        total.contactEvents += result.contactEvents;
        // A round stops early once what it produces passes ROUND_MAX_MESSAGES/BYTES: the rest is
        // planned in the next round, on the contacts as this one saved them.
        const rest = pending.slice(result.planned);
        if (result.lost.length === 0) {
          pending = rest;
          continue;
        }
        // Another replica changed some of these contacts since they were read (a rebalance, or an
        // unmarked contact event of the person held by another replica). Plan those people's events
        // again on what is stored now; everyone else's are saved. What was produced has the same
        // ids and is deduplicated downstream.
        if (++lostRounds >= MAX_CONTACT_ROUNDS) {
          throw new Error(`${result.lost.length} contact(s) kept changing under this batch (${MAX_CONTACT_ROUNDS} rounds); the batch is retried`);
        }
        const lost = new Set(result.lost);
        const again = pending.slice(0, result.planned).filter((m) => {
          const email = normalizeEmail(m.value.person?.email);
          return email !== undefined && lost.has(contactIdFor(m.value.accountId, email));
        });
        pending = [...again, ...rest];
        this.log.warn(`${lost.size} contact(s) were written by another replica meanwhile; planning their ${again.length} event(s) again`);
      }
      return total;
    });
  }

  /**
   * One round: read the contacts, plan the events in order — each with its cascade — until the
   * output passes the round's bounds, produce, then write the contacts (compare-and-set).
   * `planned`: how many of `messages` this round covered.
   */
  private async run(messages: InboundMessage<CanonicalEvent>[], wanted: { accountId: string; emailNorm: string }[]): Promise<{ planned: number; deliveries: number; contactEvents: number; lost: string[] }> {
    const { contacts: state, versions } = await this.contacts.load(wanted);
    const changed = new Map<string, Contact>();
    const dataJson = new WeakMap<object, string>();
    const deliveries: OutboundMessage[] = [];
    const contactEvents: OutboundMessage[] = [];
    const tally = new PlanTally();

    const now = new Date();
    let bytes = 0;
    let planned = 0;

    // In order: events of one person share a partition, so each sees the contact as left by the
    // previous. Each event is followed by the contact events it causes, breadth first — the order
    // in which they used to come back on their topic — until the loop guard stops the rules.
    for (const m of messages) {
      if (planned > 0 && (deliveries.length + contactEvents.length >= ROUND_MAX_MESSAGES || bytes >= ROUND_MAX_BYTES)) break;
      planned++;
      const cascade: { event: CanonicalEvent; traceparent: string }[] = [{ event: m.value, traceparent: childTraceparent(m.envelope?.traceparent) }];
      for (let i = 0; i < cascade.length; i++) {
        const { event, traceparent: tp } = cascade[i];
        const email = normalizeEmail(event.person?.email);
        const key = email ? contactKey(event.accountId, email) : undefined;
        const plan = planEvent(event, {
          subscriptions: this.cache.subscriptions,
          automations: this.cache.automations,
          contact: key ? state.get(key) : undefined,
          maxDepth: this.config.AUTOMATION_MAX_DEPTH,
          now,
          // Parsed from JSON or built by planEvent, and serialised at once by deliveryJson: no copy needed.
          shareEvent: true,
        });
        tally.add(plan);
        if (key && plan.contact) {
          state.set(key, plan.contact);
          changed.set(key, plan.contact);
        }
        for (const d of plan.deliveries) {
          const value = deliveryJson(d, dataJson);
          bytes += value.bytes.length;
          deliveries.push({ key: d.endpointId, value, envelope: { id: d.id, type: 'hookstream.delivery.requested', source: `/endpoints/${d.endpointId}`, time: d.createdAt, subject: d.eventId, traceparent: tp } });
        }
        for (const ce of plan.contactEvents) {
          const value = new RawJson(JSON.stringify(ce));
          bytes += value.bytes.length;
          contactEvents.push({
            key: `${ce.accountId}:${ce.person.email ?? ce.id}`, value, headers: PLANNED_HEADERS,
            envelope: { id: ce.id, type: `hookstream.event.${ce.type}`, source: `/accounts/${ce.accountId}/contacts`, time: ce.occurredAt, subject: ce.accountId, traceparent: tp },
          });
          // Its deliveries continue the trace from the contact event, as when it was consumed.
          cascade.push({ event: ce, traceparent: childTraceparent(tp) });
        }
      }
    }
    await Promise.all([this.producer.send(Topics.deliveries, deliveries), this.producer.send(Topics.contactEvents, contactEvents)]);
    tally.flush(deliveries.length, contactEvents.length);
    const lost = await this.contacts.save([...changed].map(([key, contact]) => ({ contact, expectedVersion: versions.get(key) ?? null })));
    return { planned, deliveries: deliveries.length, contactEvents: contactEvents.length, lost };
  }
}

const PLANNED_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [CONTACT_EVENT_HEADERS.planned]: PLANNED_BY });

/**
 * A delivery request as JSON. An event's deliveries share one `data` object (planEvent), so it is
 * serialised once per event and spliced into each request instead of once per endpoint: with a
 * few dozen subscribers that was most of the JSON work. Member order differs from
 * JSON.stringify(d) (`data` last), which JSON readers ignore.
 */
export function deliveryJson(d: DeliveryRequestDto, cache: WeakMap<object, string>): RawJson {
  const { data, ...rest } = d;
  let json = cache.get(data);
  if (json === undefined) {
    json = JSON.stringify(data);
    cache.set(data, json);
  }
  const head = JSON.stringify(rest);
  return new RawJson(`${head.slice(0, -1)},"data":${json}}`);
}

/** The contacts the events touch, by `contactKey`. */
function wantedContacts(messages: InboundMessage<CanonicalEvent>[]): Map<string, { accountId: string; emailNorm: string }> {
  const wanted = new Map<string, { accountId: string; emailNorm: string }>();
  for (const m of messages) {
    const email = normalizeEmail(m.value.person?.email);
    if (email) wanted.set(contactKey(m.value.accountId, email), { accountId: m.value.accountId, emailNorm: email });
  }
  return wanted;
}

function isEventShaped(v: unknown): v is CanonicalEvent {
  if (v === null || typeof v !== 'object') return false;
  const e = v as Partial<Record<keyof CanonicalEvent, unknown>>;
  return typeof e.id === 'string' && typeof e.accountId === 'string' && typeof e.type === 'string'
    && typeof e.initiatedFrom === 'string' && (e.person === undefined || e.person === null || typeof e.person === 'object')
    && (e.attributes === undefined || (e.attributes !== null && typeof e.attributes === 'object'));
}
