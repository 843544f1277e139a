import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import {
  configKey, CONTACT_EVENT_HEADERS, dlqOf, emptyLocation, newId, Topics, type AutomationSnapshot, type CanonicalEvent, type DeliveryRequestDto, type EndpointSnapshot,
} from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { DLQ_HEADERS } from '@hookstream/kafka';
import { createApp } from '@hookstream/platform';
import { startGroupAtEnd, testBrokers, testDatabaseUrl, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { FastifyInstance } from 'fastify';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { AppModule, automationConsumer } from '../src/app.module';
import { AutomationConfig } from '../src/automation.config';
import { RulesCache } from '../src/config-cache/rules.cache';

const groupSuffix = `-${uniqueName('t')}`;
const config = loadConfig(AutomationConfig, {
  HOOKSTREAM_DEV_INSECURE_KEYS: 'true',
  KAFKA_BROKERS: testBrokers().join(','),
  DATABASE_URL: testDatabaseUrl(),
  LOG_LEVEL: 'silent',
  KAFKA_GROUP_SUFFIX: groupSuffix,
});
// The same group id runApp builds from main.ts's groupId and the suffix.
const groupId = `hookstream-automation${groupSuffix}`;

/**
 * The automation app in-process, as runApp builds it from main.ts; its new group starts at the topic
 * ends — contact-events included, so it is an installation whose group consumed that topic before
 * (an upgrade from a version that published unmarked contact events): 'auto' consumes it.
 */
async function startAutomation(kafka: Kafka): Promise<NestFastifyApplication> {
  await startGroupAtEnd(kafka, groupId, [Topics.eventsEnriched, Topics.contactEvents]);
  return createApp({
    appName: 'automation', module: AppModule.register(config), config, logger: false,
    consumer: { ...automationConsumer(config), sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('automation on the real broker and database', () => {
  const kafka = testKafka('automation-int');
  const acc = uniqueName('acc_auto').replace(/-/g, '_');
  const loopAcc = uniqueName('acc_loop').replace(/-/g, '_');
  const id = (p: string) => `${p}_${acc}`;
  const ep = { a: id('ep_a'), b: id('ep_b'), c: id('ep_c') };
  const rule = id('aut_welcome');
  const email = 'Buyer.One@Example.COM';
  const deliveries: DeliveryRequestDto[] = [];
  const contactEvents: CanonicalEvent[] = [];
  /** The `hookstream_planned` header of each contact event read, by event id. */
  const plannedHeader = new Map<string, string | undefined>();
  const deadLetters: { value: string; error: string | undefined; attempts: string | undefined }[] = [];
  let producer: Producer;
  let reader: Consumer;
  let app: NestFastifyApplication;
  let http: FastifyInstance;

  function endpoint(eid: string, over: Partial<EndpointSnapshot>): EndpointSnapshot {
    return {
      kind: 'endpoint', id: eid, accountId: acc, url: `https://hooks.example.com/${eid}`, enabled: true, eventTypes: ['*'],
      initiatedFrom: null, listId: null, filter: null, format: 'json', secrets: [], rateLimitPerSecond: null, maxConcurrency: 4,
      version: 1, updatedAt: new Date().toISOString(), ...over,
    };
  }

  function automation(rid: string, accountId: string, trigger: AutomationSnapshot['trigger'], actions: AutomationSnapshot['actions']): AutomationSnapshot {
    return { kind: 'automation', id: rid, accountId, name: rid, enabled: true, trigger, actions, version: 1, updatedAt: new Date().toISOString() };
  }

  async function publishConfig(...snaps: (EndpointSnapshot | AutomationSnapshot)[]): Promise<void> {
    await producer.send({ topic: Topics.config, acks: -1, messages: snaps.map((s) => ({ key: configKey(s.kind, s.id), value: JSON.stringify(s) })) });
  }

  function purchase(accountId: string, over: Partial<CanonicalEvent> = {}): CanonicalEvent {
    return {
      id: newId('evt'), accountId, sourceId: 'src_shop', type: 'purchase', occurredAt: '2026-02-28T14:30:00Z',
      receivedAt: '2026-02-28T14:30:00.120Z', initiatedFrom: 'api',
      person: { email, firstName: 'Sarah', lastName: 'Buyer', ip: null, nameSource: 'payload' },
      location: { ...emptyLocation(), city: 'London', country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
      product: { id: 'sku_1', name: 'Running Shoes', link: null, image: null, price: 49, quantity: 1 },
      products: [], amount: 49, currency: 'GBP', attributes: {}, dialect: 'activly', ...over,
    };
  }

  async function publishEnriched(e: CanonicalEvent): Promise<void> {
    await producer.send({
      topic: Topics.eventsEnriched,
      acks: -1,
      messages: [{
        key: `${e.accountId}:${e.person.email ?? e.id}`,
        value: JSON.stringify(e),
        headers: { ce_specversion: '1.0', ce_id: e.id, ce_type: `hookstream.event.${e.type}`, ce_source: `/sources/${e.sourceId}`, ce_time: e.occurredAt },
      }],
    });
  }

  async function contactRows(accountId: string): Promise<{ id: string; email_norm: string; first_name: string | null; tags: string[] }[]> {
    return app.get(DataSource).query('SELECT id, email_norm, first_name, tags FROM contacts WHERE account_id = $1', [accountId]);
  }

  const distinct = <T extends { id: string }>(xs: T[]): T[] => [...new Map(xs.map((x) => [x.id, x])).values()];
  const ofAcc = <T extends { accountId: string }>(xs: T[], accountId: string): T[] => xs.filter((x) => x.accountId === accountId);

  /** Waits until `count()` stops changing for `quietMs` (what "the cascade has settled" means on a live topic). */
  async function settled(count: () => number, quietMs = 3000, timeoutMs = 30000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = count();
    let since = Date.now();
    while (Date.now() < deadline) {
      await sleep(200);
      const now = count();
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        return now;
      }
    }
    throw new Error(`count still changing after ${timeoutMs} ms (last ${last})`);
  }

  beforeAll(async () => {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await publishConfig(
      // A: purchases only.
      endpoint(ep.a, { eventTypes: ['purchase'] }),
      // B: every contact event, but only those the system (automations) initiated.
      endpoint(ep.b, { eventTypes: ['contact.*'], initiatedFrom: ['system'] }),
      // C: listens to nothing we send; it is only the target of the rule's webhook action.
      endpoint(ep.c, { eventTypes: ['deal.added'] }),
      automation(rule, acc, { eventTypes: ['contact.subscribed'], sourceIds: null, filter: null }, [
        { type: 'add_tag', tag: 'customer' },
        { type: 'webhook', endpointId: ep.c },
      ]),
    );

    // Read what the app produces from the current end of the shared topics.
    const readerGroup = uniqueName('automation-int-reader');
    const dlq = dlqOf(Topics.eventsEnriched);
    await startGroupAtEnd(kafka, readerGroup, [Topics.deliveries, Topics.contactEvents, dlq]);
    reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [Topics.deliveries, Topics.contactEvents, dlq] });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        if (topic === dlq) {
          if (message.value.toString().includes(acc)) deadLetters.push({ value: message.value.toString(), error: message.headers?.[DLQ_HEADERS.error]?.toString(), attempts: message.headers?.[DLQ_HEADERS.attempts]?.toString() });
          return;
        }
        const v = JSON.parse(message.value.toString()) as { accountId?: string };
        if (v.accountId !== acc && v.accountId !== loopAcc) return;
        if (topic === Topics.deliveries) deliveries.push(v as DeliveryRequestDto);
        else {
          contactEvents.push(v as CanonicalEvent);
          plannedHeader.set((v as CanonicalEvent).id, message.headers?.[CONTACT_EVENT_HEADERS.planned]?.toString());
        }
      },
    });

    app = await startAutomation(kafka);
    http = app.getHttpAdapter().getInstance();
    await http.ready();
  }, 90_000);

  afterAll(async () => {
    await reader?.disconnect();
    await producer?.disconnect();
    await app?.close();
  });

  it('is ready only with the config topic applied: the endpoints and the rule are in its cache', async () => {
    const res = await http.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const cache = app.get(RulesCache);
    // The check says what the cache holds (ConfigCache's detail), not just "caught up".
    expect((res.json() as { checks: Record<string, { ok: boolean }> }).checks['config']).toEqual({
      ok: true, detail: `${cache.subscriptions.size} endpoint(s), ${cache.automations.size} automation(s)`,
    });
    expect(cache.subscriptions.size).toBeGreaterThanOrEqual(3);
    expect(cache.automations.size).toBeGreaterThanOrEqual(1);
    expect([ep.a, ep.b, ep.c].map((e) => cache.subscriptions.get(e)?.accountId)).toEqual([acc, acc, acc]);
    expect(cache.automations.get(rule)?.actions).toHaveLength(2);
  });

  let first: CanonicalEvent;
  it('turns one purchase into a contact, contact events and exactly the delivery requests subscriptions and rules ask for', async () => {
    first = purchase(acc);
    await publishEnriched(first);

    const rows = await waitFor(async () => {
      const r = await contactRows(acc);
      return r.length > 0 && r[0].tags.includes('customer') ? r : undefined;
    }, { what: 'the contact with the rule tag', timeoutMs: 30000 });
    expect(rows).toEqual([{ id: expect.stringMatching(/^ct_/), email_norm: 'buyer.one@example.com', first_name: 'Sarah', tags: ['customer'] }]);

    await waitFor(() => distinct(ofAcc(deliveries, acc)).length >= 3 || undefined, { what: 'three delivery requests', timeoutMs: 30000 });
    await settled(() => deliveries.length + contactEvents.length);

    // Contact events: subscribed (initiated like the purchase) and the rule's tag (initiated by the system).
    // At-least-once: a retried batch, or another automation instance following the same shared
    // topics (an e2e pipeline), publishes the same message again — always with the same id.
    const ces = distinct(ofAcc(contactEvents, acc));
    expect(ces.map((e) => [e.type, e.initiatedFrom, e.causationDepth, e.causedByRule ?? null])).toEqual([
      ['contact.subscribed', 'api', 1, null],
      ['contact.tag_added', 'system', 2, rule],
    ]);
    const [subscribed, tagAdded] = ces;
    expect(subscribed.causedBy).toBe(first.id);
    expect(subscribed.person.email).toBe('buyer.one@example.com');
    expect(tagAdded.causedBy).toBe(subscribed.id);
    expect(tagAdded.attributes['tag']).toBe('customer');
    expect(tagAdded.attributes['contactId']).toBe(rows[0].id);
    // Both were planned in the pass that published them, and say so.
    expect(ces.map((e) => plannedHeader.get(e.id))).toEqual(['automation', 'automation']);

    // Deliveries: purchase → A (subscription); contact.subscribed → C (rule webhook; B wants only
    // system-initiated events and the subscription was initiated by the api); contact.tag_added
    // (system) → B (subscription). Nothing else: A ignores contact events, C ignores everything.
    const dlv = distinct(ofAcc(deliveries, acc));
    const got = dlv.map((d) => [d.eventType, d.eventId, d.endpointId, d.cause, d.causeId ?? null]);
    expect(got.sort()).toEqual([
      ['contact.subscribed', subscribed.id, ep.c, 'rule', rule],
      ['contact.tag_added', tagAdded.id, ep.b, 'subscription', null],
      ['purchase', first.id, ep.a, 'subscription', null],
    ].sort());
    // Exactly one per (event, endpoint): no two distinct ids for the same pair.
    expect(new Set(dlv.map((d) => `${d.eventId}/${d.endpointId}`)).size).toBe(3);
    expect(dlv.every((d) => /^msg_/.test(d.webhookId))).toBe(true);
    const toA = dlv.find((d) => d.endpointId === ep.a)!;
    expect(toA.data).toMatchObject({ id: first.id, type: 'purchase', amount: 49, person: { email } });
  });

  it('produces no new delivery ids and no duplicate tags when the same purchase is delivered again', async () => {
    const idsBefore = new Set(ofAcc(deliveries, acc).map((d) => d.id));
    const contactEventIdsBefore = new Set(ofAcc(contactEvents, acc).map((e) => e.id));
    expect(idsBefore.size).toBe(3);
    const seenBefore = ofAcc(deliveries, acc).length;

    await publishEnriched(first);
    // The redelivered purchase is processed again: its delivery to A re-appears with the same id.
    await waitFor(() => ofAcc(deliveries, acc).length > seenBefore || undefined, { what: 'the redelivered purchase to be processed' });
    await settled(() => deliveries.length + contactEvents.length);

    const again = distinct(ofAcc(deliveries, acc).slice(seenBefore));
    const toA = [...idsBefore].filter((i) => ofAcc(deliveries, acc).some((d) => d.id === i && d.endpointId === ep.a));
    expect(toA).toHaveLength(1);
    expect(again.map((d) => d.id)).toContain(toA[0]);
    expect(new Set(ofAcc(deliveries, acc).map((d) => d.id))).toEqual(idsBefore);
    expect(new Set(ofAcc(contactEvents, acc).map((e) => e.id))).toEqual(contactEventIdsBefore);
    const rows = await contactRows(acc);
    expect(rows.map((r) => r.tags)).toEqual([['customer']]);
  });

  it('stops a ping-pong of tag rules at the causation depth limit, through Kafka', async () => {
    // Two rules that feed each other forever without loop protection: each reacts to the other's
    // tag by removing and re-adding its own. A third adds "seen" on every contact.tag_added, which
    // its own effect must not re-trigger.
    const ping = `aut_ping_${loopAcc}`;
    const pong = `aut_pong_${loopAcc}`;
    const seen = `aut_seen_${loopAcc}`;
    await publishConfig(
      automation(ping, loopAcc, { eventTypes: ['contact.tag_added'], sourceIds: null, filter: { path: 'attributes.tag', op: 'eq', value: 'ping' } }, [
        { type: 'remove_tag', tag: 'pong' }, { type: 'add_tag', tag: 'pong' },
      ]),
      automation(pong, loopAcc, { eventTypes: ['contact.tag_added'], sourceIds: null, filter: { path: 'attributes.tag', op: 'eq', value: 'pong' } }, [
        { type: 'remove_tag', tag: 'ping' }, { type: 'add_tag', tag: 'ping' },
      ]),
      automation(seen, loopAcc, { eventTypes: ['contact.tag_added'], sourceIds: null, filter: null }, [{ type: 'add_tag', tag: 'seen' }]),
    );
    const cache = app.get(RulesCache);
    await waitFor(() => (cache.automations.get(ping) && cache.automations.get(pong) && cache.automations.get(seen)) || undefined, { what: 'loop rules in the cache' });

    await publishEnriched(purchase(loopAcc, { attributes: { tags: ['ping'] } }));
    await waitFor(() => contactEvents.some((e) => e.accountId === loopAcc) || undefined, { what: 'the first contact event' });
    const total = await settled(() => ofAcc(contactEvents, loopAcc).length, 4000, 60000);

    // At-least-once: a retried batch may publish an event again, always with the same id.
    const ces = distinct(ofAcc(contactEvents, loopAcc));
    expect(total).toBeGreaterThanOrEqual(ces.length);
    const depths = ces.map((e) => e.causationDepth ?? 0);
    // Rules fire on events of depth 1..4, so nothing deeper than 5 is ever produced.
    expect(Math.max(...depths)).toBe(config.AUTOMATION_MAX_DEPTH);
    // The ping-pong chain: exactly one tag_added per depth from 1 to 5 for ping/pong.
    const chain = ces.filter((e) => e.type === 'contact.tag_added' && (e.attributes['tag'] === 'ping' || e.attributes['tag'] === 'pong'));
    expect(chain.map((e) => [e.attributes['tag'], e.causationDepth, e.causedByRule ?? null])).toEqual([
      ['ping', 1, null], ['pong', 2, ping], ['ping', 3, pong], ['pong', 4, ping], ['ping', 5, pong],
    ]);
    // "seen" is added once (on the first tag_added) and its own tag_added never re-triggers it.
    const seenTags = ces.filter((e) => e.type === 'contact.tag_added' && e.attributes['tag'] === 'seen');
    expect(seenTags.map((e) => [e.causationDepth, e.causedByRule])).toEqual([[2, seen]]);
    const rows = await contactRows(loopAcc);
    expect(rows).toHaveLength(1);
    expect([...rows[0].tags].sort()).toEqual(['ping', 'pong', 'seen']);
  }, 120_000);

  it('commits past the contact events it planned itself, and plans those without the mark, through Kafka', async () => {
    // Two system-initiated contact.tag_added events B subscribes to, on one key (one partition, in
    // order): the first says it was planned already, the second (as an older version published
    // them) does not.
    const person = 'marked.person@example.com';
    const contactEvent = (eid: string): CanonicalEvent => purchase(acc, {
      id: eid, type: 'contact.tag_added', initiatedFrom: 'system', product: null, amount: null, currency: null,
      person: { email: person, firstName: null, lastName: null, ip: null, nameSource: null },
      attributes: { tag: 'imported', tags: ['imported'], lists: [] }, causedBy: `evt_cause_${eid}`, causationDepth: 1,
    });
    const marked = contactEvent(`evt_marked_${acc}`);
    const unmarked = contactEvent(`evt_unmarked_${acc}`);
    await producer.send({
      topic: Topics.contactEvents,
      acks: -1,
      messages: [marked, unmarked].map((e) => ({
        key: `${acc}:${person}`,
        value: JSON.stringify(e),
        headers: {
          ce_specversion: '1.0', ce_id: e.id, ce_type: `hookstream.event.${e.type}`, ce_source: `/accounts/${acc}/contacts`, ce_time: e.occurredAt,
          ...(e === marked ? { [CONTACT_EVENT_HEADERS.planned]: 'automation' } : {}),
        },
      })),
    });
    await waitFor(() => deliveries.some((d) => d.eventId === unmarked.id && d.endpointId === ep.b) || undefined, { what: 'the unmarked contact event delivered to B' });
    // The marked one came first on the same partition: had it been planned, its delivery would be here by now.
    expect(deliveries.filter((d) => d.eventId === marked.id)).toEqual([]);
  });

  it('dead-letters a value that is not an event at once, and keeps consuming', async () => {
    await producer.send({ topic: Topics.eventsEnriched, acks: -1, messages: [{ key: `${acc}:poison`, value: JSON.stringify({ poison: acc }) }] });
    const later = purchase(acc, { person: { email: 'after.poison@example.com', firstName: 'Ann', lastName: null, ip: null, nameSource: 'payload' } });
    await publishEnriched(later);
    const dl = await waitFor(() => deadLetters[0], { what: 'the poison message on the DLQ' });
    expect(JSON.parse(dl.value)).toEqual({ poison: acc });
    // The consumer declares no filter: createApp's global RethrowRpcFilter passes the real error on,
    // so it is dead-lettered on its first attempt with its own message (not "Internal server error").
    expect(dl.error).toMatch(/is not a canonical event/);
    expect(dl.attempts).toBe('1');
    await waitFor(() => deliveries.some((d) => d.eventId === later.id && d.endpointId === ep.a) || undefined, { what: 'the next event delivered' });
  });
});
