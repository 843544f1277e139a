import { loadConfig } from '@hookstream/config';
import {
  CONTACT_EVENT_HEADERS, emptyLocation, Topics, type AutomationSnapshot, type CanonicalEvent, type DeliveryRequestDto, type EndpointSnapshot,
} from '@hookstream/contracts';
import type { DataSource } from '@hookstream/db';
import { RawJson, type EventProducer, type InboundMessage, type OutboundMessage } from '@hookstream/kafka';
import { AutomationIndex, SubscriptionIndex, type Contact } from '@hookstream/rules';
import { AutomationConfig } from '../automation.config';
import type { RulesCache } from '../config-cache/rules.cache';
import { AutomationService, ROUND_MAX_MESSAGES } from './automation.service';
import { contactKey, ContactsRepository, type ContactWrite, type LoadedContacts } from './contacts.repository';

const ACC = 'acc_1';

/** The contacts table in memory, with the same compare-and-set rule as the real statement. */
class MemoryContacts extends ContactsRepository {
  readonly rows = new Map<string, { contact: Contact; version: number }>();
  loads = 0;
  saves = 0;
  constructor() {
    super(undefined as unknown as DataSource);
  }
  override async load(keys: { accountId: string; emailNorm: string }[]): Promise<LoadedContacts> {
    this.loads++;
    const out: LoadedContacts = { contacts: new Map(), versions: new Map() };
    for (const k of keys) {
      const row = this.rows.get(contactKey(k.accountId, k.emailNorm));
      if (row) {
        out.contacts.set(contactKey(k.accountId, k.emailNorm), row.contact);
        out.versions.set(contactKey(k.accountId, k.emailNorm), row.version);
      }
    }
    return out;
  }
  override async save(writes: ContactWrite[]): Promise<string[]> {
    this.saves++;
    const lost: string[] = [];
    for (const w of writes) {
      const key = contactKey(w.contact.accountId, w.contact.emailNorm);
      const row = this.rows.get(key);
      if ((row?.version ?? null) !== w.expectedVersion) lost.push(w.contact.id);
      else this.rows.set(key, { contact: w.contact, version: (row?.version ?? 0) + 1 });
    }
    return lost;
  }
}

/** A produced value as the broker gets it. */
function parsed<T>(m: OutboundMessage): T {
  return (m.value instanceof RawJson ? JSON.parse(m.value.text) : m.value) as T;
}

class RecordingProducer implements EventProducer {
  readonly sends: { topic: string; messages: OutboundMessage[] }[] = [];
  async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (messages.length > 0) this.sends.push({ topic, messages });
  }
  of(topic: string): OutboundMessage[] {
    return this.sends.filter((s) => s.topic === topic).flatMap((s) => s.messages);
  }
}

function endpoint(id: string, over: Partial<EndpointSnapshot> = {}): EndpointSnapshot {
  return {
    kind: 'endpoint', id, accountId: ACC, url: `https://hooks.example.com/${id}`, enabled: true, eventTypes: ['*'], initiatedFrom: null,
    listId: null, filter: null, format: 'json', secrets: [], rateLimitPerSecond: null, maxConcurrency: 4, version: 1, updatedAt: '2026-01-01T00:00:00Z', ...over,
  };
}

function rule(id: string, trigger: Partial<AutomationSnapshot['trigger']>, actions: AutomationSnapshot['actions']): AutomationSnapshot {
  return {
    kind: 'automation', id, accountId: ACC, name: id, enabled: true, trigger: { eventTypes: ['*'], sourceIds: null, filter: null, ...trigger },
    actions, version: 1, updatedAt: '2026-01-01T00:00:00Z',
  };
}

let offset = 0;
function message(value: CanonicalEvent, topic: string = Topics.eventsEnriched, headers: Record<string, string> = {}): InboundMessage<CanonicalEvent> {
  return { topic, partition: 0, offset: String(offset++), key: null, value, headers, timestamp: '0' };
}

function purchase(id: string, email: string, over: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    id, accountId: ACC, sourceId: 'src_1', type: 'purchase', occurredAt: '2026-02-28T14:30:00Z', receivedAt: '2026-02-28T14:30:00.120Z',
    initiatedFrom: 'api', person: { email, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
    location: emptyLocation(), product: null, products: [], amount: 49, currency: 'GBP', attributes: {}, dialect: 'activly', ...over,
  };
}

function setup(endpoints: EndpointSnapshot[], rules: AutomationSnapshot[]) {
  const cache = { subscriptions: SubscriptionIndex.from(endpoints), automations: new AutomationIndex() } as unknown as RulesCache;
  for (const r of rules) cache.automations.upsert(r);
  const contacts = new MemoryContacts();
  const producer = new RecordingProducer();
  const config = loadConfig(AutomationConfig, { KAFKA_BROKERS: '127.0.0.1:1', DATABASE_URL: 'postgres://x@127.0.0.1:1/x', HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
  const service = new AutomationService(cache, contacts, producer, config);
  const deliveries = () => producer.of(Topics.deliveries).map((m) => parsed<DeliveryRequestDto>(m));
  const contactEvents = () => producer.of(Topics.contactEvents);
  const contactEventValues = () => contactEvents().map((m) => parsed<CanonicalEvent>(m));
  return { service, contacts, producer, deliveries, contactEvents, contactEventValues };
}

describe('AutomationService: one pass per event', () => {
  it('matches the contact events an event causes in the same batch, and marks them as planned', async () => {
    const welcome = rule('aut_welcome', { eventTypes: ['contact.subscribed'] }, [{ type: 'add_tag', tag: 'customer' }, { type: 'webhook', endpointId: 'ep_c' }]);
    const t = setup([
      endpoint('ep_a', { eventTypes: ['purchase'] }),
      endpoint('ep_b', { eventTypes: ['contact.*'], initiatedFrom: ['system'] }),
      endpoint('ep_c', { eventTypes: ['deal.added'] }),
    ], [welcome]);

    const result = await t.service.process([message(purchase('evt_1', 'Sarah@Example.com'))]);

    const ces = t.contactEvents();
    expect(t.contactEventValues().map((e) => [e.type, e.causationDepth])).toEqual([['contact.subscribed', 1], ['contact.tag_added', 2]]);
    expect(ces.every((m) => m.headers?.[CONTACT_EVENT_HEADERS.planned] === 'automation')).toBe(true);
    const [subscribed, tagAdded] = t.contactEventValues();
    // Everything the cascade asks for, from one batch: the purchase to A, the rule's webhook on
    // contact.subscribed to C, the system-initiated tag_added to B.
    expect(t.deliveries().map((d) => [d.eventId, d.endpointId, d.cause]).sort()).toEqual([
      ['evt_1', 'ep_a', 'subscription'],
      [subscribed.id, 'ep_c', 'rule'],
      [tagAdded.id, 'ep_b', 'subscription'],
    ].sort());
    expect(result).toEqual({ deliveries: 3, contactEvents: 2, skipped: 0 });
    // One read, one write, one send per topic for the whole cascade.
    expect([t.contacts.loads, t.contacts.saves]).toEqual([1, 1]);
    expect(t.producer.sends.map((s) => s.topic).sort()).toEqual([Topics.contactEvents, Topics.deliveries].sort());
    expect([...t.contacts.rows.values()].map((r) => r.contact.tags)).toEqual([['customer']]);
  });

  it('commits past the contact events it planned itself, and plans those without the mark (an older version published them)', async () => {
    const t = setup([endpoint('ep_all')], [rule('aut_tag', { eventTypes: ['contact.tag_added'] }, [{ type: 'add_tag', tag: 'seen' }])]);
    await t.service.process([message(purchase('evt_1', 'ann@example.com', { attributes: { tags: ['vip'] } }))]);
    const published = t.contactEvents();
    expect(t.contactEventValues().map((e) => e.attributes['tag'] ?? null)).toEqual([null, 'vip', 'seen']);
    const sent = t.producer.sends.length;
    const loads = t.contacts.loads;

    // They come back on contact-events: nothing is planned, read, written or produced again.
    const back = published.map((m) => message(parsed<CanonicalEvent>(m), Topics.contactEvents, { ...m.headers }));
    expect(await t.service.process(back)).toEqual({ deliveries: 0, contactEvents: 0, skipped: 3 });
    expect(t.producer.sends.length).toBe(sent);
    expect(t.contacts.loads).toBe(loads);

    // The same events without the mark are planned as before: delivered to the catch-all endpoint
    // (same ids as in the first pass); the rule fires on "vip" again but "seen" is already there,
    // and it never fires on its own "seen".
    const before = new Set(t.deliveries().map((d) => d.id));
    const unmarked = back.map((m) => message(m.value, Topics.contactEvents));
    const r = await t.service.process(unmarked);
    expect(r).toEqual({ deliveries: 3, contactEvents: 0, skipped: 0 });
    expect(t.deliveries().slice(-3).every((d) => before.has(d.id))).toBe(true);
  });

  it('stops a ping-pong of tag rules at the depth limit within one pass, and a rule never re-triggers on its own effect', async () => {
    const ping = rule('aut_ping', { eventTypes: ['contact.tag_added'], filter: { path: 'attributes.tag', op: 'eq', value: 'ping' } }, [{ type: 'remove_tag', tag: 'pong' }, { type: 'add_tag', tag: 'pong' }]);
    const pong = rule('aut_pong', { eventTypes: ['contact.tag_added'], filter: { path: 'attributes.tag', op: 'eq', value: 'pong' } }, [{ type: 'remove_tag', tag: 'ping' }, { type: 'add_tag', tag: 'ping' }]);
    const seen = rule('aut_seen', { eventTypes: ['contact.tag_added'] }, [{ type: 'add_tag', tag: 'seen' }]);
    const t = setup([], [ping, pong, seen]);

    await t.service.process([message(purchase('evt_loop', 'loop@example.com', { attributes: { tags: ['ping'] } }))]);

    const ces = t.contactEventValues();
    expect(Math.max(...ces.map((e) => e.causationDepth ?? 0))).toBe(5);
    const chain = ces.filter((e) => e.type === 'contact.tag_added' && (e.attributes['tag'] === 'ping' || e.attributes['tag'] === 'pong'));
    expect(chain.map((e) => [e.attributes['tag'], e.causationDepth, e.causedByRule ?? null])).toEqual([
      ['ping', 1, null], ['pong', 2, 'aut_ping'], ['ping', 3, 'aut_pong'], ['pong', 4, 'aut_ping'], ['ping', 5, 'aut_pong'],
    ]);
    expect(ces.filter((e) => e.attributes['tag'] === 'seen' && e.type === 'contact.tag_added').map((e) => e.causationDepth)).toEqual([2]);
    expect([...t.contacts.rows.values()][0].contact.tags.sort()).toEqual(['ping', 'pong', 'seen']);
  });

  it('gives a redelivered batch the same delivery ids: exactly one request per (event, endpoint) downstream', async () => {
    const t = setup([endpoint('ep_all')], [rule('aut_welcome', { eventTypes: ['contact.subscribed'] }, [{ type: 'add_tag', tag: 'customer' }])]);
    const batch = [message(purchase('evt_1', 'a@example.com')), message(purchase('evt_2', 'b@example.com')), message(purchase('evt_3', 'a@example.com'))];
    await t.service.process(batch);
    const first = t.deliveries();
    await t.service.process(batch);
    const all = t.deliveries();
    expect(all.length).toBeGreaterThan(first.length);
    const pairs = new Map<string, Set<string>>();
    for (const d of all) pairs.set(`${d.eventId}/${d.endpointId}`, (pairs.get(`${d.eventId}/${d.endpointId}`) ?? new Set()).add(d.id));
    expect([...pairs.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set(all.map((d) => d.id))).toEqual(new Set(first.map((d) => d.id)));
  });

  it('cuts a batch whose cascades pass the round bound into several rounds, each produced before its contacts are written', async () => {
    // 12 catch-all endpoints: each purchase makes 12 deliveries and a contact.subscribed that makes
    // 12 more, so 500 events produce 13,000 messages — more than one round takes.
    const t = setup(Array.from({ length: 12 }, (_, i) => endpoint(`ep_${String(i).padStart(2, '0')}`)), []);
    const batch = Array.from({ length: 500 }, (_, i) => message(purchase(`evt_${i}`, `p${i}@example.com`)));
    const result = await t.service.process(batch);

    expect(result).toEqual({ deliveries: 500 * 24, contactEvents: 500, skipped: 0 });
    expect(t.contacts.loads).toBeGreaterThanOrEqual(2);
    expect(t.contacts.saves).toBe(t.contacts.loads);
    // A round stops taking events once it reaches the bound; one event's cascade (25 messages) is never split.
    const perRound = new Map<number, number>();
    t.producer.sends.forEach((s, i) => perRound.set(Math.floor(i / 2), (perRound.get(Math.floor(i / 2)) ?? 0) + s.messages.length));
    expect([...perRound.values()].every((n) => n < ROUND_MAX_MESSAGES + 25)).toBe(true);
    expect(new Set(t.deliveries().map((d) => d.id)).size).toBe(500 * 24);
    expect(t.contacts.rows.size).toBe(500);
  });
});
