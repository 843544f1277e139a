import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import { envelopeHeaders, IdPrefix, newId, newTraceparent, Topics, type CanonicalEvent, type ProductDto } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { emailKey, nameCacheStats } from '@hookstream/enrichment';
import { EVENT_PRODUCER, KafkaBatchTransport, RethrowRpcFilter, type EventProducer } from '@hookstream/kafka';
import { KAFKA_CLIENT } from '@hookstream/platform';
import { testBrokers, testDatabaseUrl, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { Reader } from 'maxmind';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../src/app.module';
import { EnricherConfig } from '../src/enricher.config';

/**
 * The enricher app in-process, wired as runApp wires it (init first, then the Kafka transport),
 * against the real broker and PostgreSQL. Events go in on events.valid exactly as the validator
 * publishes them (full canonical object, person key, CloudEvents headers) and are read back from
 * events.enriched, filtered by this run's account.
 */

interface Enriched {
  key: string | null;
  headers: Record<string, string>;
  value: CanonicalEvent;
}

const accountId = uniqueName('acc_enr');
const startedAt = new Date();
const sourceId = uniqueName('src_enr');
const secret = randomBytes(24).toString('hex');
const groupSuffix = `-${uniqueName('t')}`;
const groupId = `hookstream-enricher${groupSuffix}`;
const config = loadConfig(EnricherConfig, {
  HOOKSTREAM_DEV_INSECURE_KEYS: 'true',
  KAFKA_BROKERS: testBrokers().join(','),
  DATABASE_URL: testDatabaseUrl(),
  LOG_LEVEL: 'silent',
  KAFKA_GROUP_SUFFIX: groupSuffix,
  EMAIL_KEY_SECRET: secret,
  ENRICHER_NAME_CACHE_BYTES: String(128 * 1024),
});

/** A canonical event as the validator emits it; `over` replaces whole sub-objects. */
function canonical(over: Partial<CanonicalEvent> & { person: CanonicalEvent['person'] }): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    id: newId(IdPrefix.event),
    accountId,
    sourceId,
    type: 'purchase',
    occurredAt: now,
    receivedAt: now,
    initiatedFrom: 'api',
    location: { city: null, state: null, stateCode: null, country: null, countryCode: null, source: null },
    product: null,
    products: [],
    amount: null,
    currency: null,
    attributes: {},
    dialect: 'provesource',
    dedupeKey: `test:${randomBytes(6).toString('hex')}`,
    ...over,
  };
}

function person(p: Partial<CanonicalEvent['person']>): CanonicalEvent['person'] {
  return { email: null, firstName: null, lastName: null, ip: null, nameSource: null, ...p };
}

/** The validator's key for valid/enriched events (per account and person). */
function personKey(e: CanonicalEvent): string {
  return `${e.accountId}:${e.person.email ?? e.id}`;
}

/** Moves a consumer group to the current end of a topic before it ever runs: it sees only what this test publishes. */
async function startGroupAtEnd(admin: Admin, group: string, topic: string): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId: group, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })) });
}

describe('enricher on the real broker and database', () => {
  let app: NestFastifyApplication;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let reader: Consumer;
  let db: DataSource;
  const out: Enriched[] = [];
  const traceparents = new Map<string, string>();
  let lookups: jest.SpyInstance;

  async function publish(...events: CanonicalEvent[]): Promise<void> {
    await producer.send({
      topic: Topics.eventsValid,
      acks: -1,
      messages: events.map((e) => {
        const traceparent = newTraceparent();
        traceparents.set(e.id, traceparent);
        return {
          key: personKey(e),
          value: JSON.stringify(e),
          headers: envelopeHeaders({ id: e.id, type: `hookstream.event.${e.type}`, source: `/sources/${e.sourceId}`, time: e.occurredAt, subject: e.accountId, traceparent }),
        };
      }),
    });
  }

  function outputsOf(id: string): Enriched[] {
    return out.filter((m) => m.value.id === id);
  }

  function enrichedOnce(id: string): Promise<Enriched> {
    return waitFor(() => outputsOf(id)[0], { what: `event ${id} on events.enriched`, timeoutMs: 30_000 });
  }

  async function nameRows(): Promise<{ email_key: string; first_name: string | null; last_name: string | null; updated_at: Date }[]> {
    return db.query('SELECT email_key, first_name, last_name, updated_at FROM name_history WHERE account_id = $1 ORDER BY email_key', [accountId]);
  }

  beforeAll(async () => {
    // Calls through to the real reader; only records which addresses reached the database.
    lookups = jest.spyOn(Reader.prototype, 'get');
    kafka = testKafka('enricher-int');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();

    app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter(), { logger: false });
    // Topics are ensured during init; only then can the fresh groups be placed at their ends.
    await app.init();
    db = app.get(DataSource);
    await startGroupAtEnd(admin, groupId, Topics.eventsValid);
    const readerGroup = uniqueName('enricher-int-reader');
    await startGroupAtEnd(admin, readerGroup, Topics.eventsEnriched);

    const transport = new KafkaBatchTransport({
      kafka: app.get<Kafka>(KAFKA_CLIENT),
      producer: app.get<EventProducer>(EVENT_PRODUCER),
      groupId,
      maxBatchSize: 1000,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 1000,
    });
    const ms = app.connectMicroservice({ strategy: transport }, { deferInitialization: true });
    (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
    ms.useGlobalFilters(new RethrowRpcFilter());
    await app.startAllMicroservices();

    reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 200 });
    await reader.connect();
    await reader.subscribe({ topics: [Topics.eventsEnriched] });
    await reader.run({
      eachMessage: async ({ message }) => {
        if (message.value === null) return;
        const value = JSON.parse(message.value.toString('utf8')) as CanonicalEvent;
        if (value.accountId !== accountId) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        out.push({ key: message.key?.toString('utf8') ?? null, headers, value });
      },
    });
  }, 120_000);

  afterAll(async () => {
    lookups?.mockRestore();
    await reader?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await app?.close();
  });

  it('an event with only email and ip gets its country from the IP and the name learned from an earlier event', async () => {
    const email = 'jane.doe+shop@example.com';
    const earlier = canonical({
      person: person({ email, firstName: 'Janet', lastName: 'Doe', nameSource: 'payload' }),
      location: { city: 'Leeds', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    });
    await publish(earlier);
    const first = await enrichedOnce(earlier.id);
    expect(first.value.person).toMatchObject({ firstName: 'Janet', lastName: 'Doe', nameSource: 'payload' });
    expect(first.value.location).toMatchObject({ city: 'Leeds', countryCode: 'GB', source: 'payload' });
    // The name is in the table before the later event is published: the later one learns from the database.
    await waitFor(async () => (await nameRows()).length === 1 || undefined, { what: 'learned name row' });

    const later = canonical({ type: 'signup', person: person({ email, ip: '81.2.69.142' }) });
    await publish(later);
    const got = await enrichedOnce(later.id);

    expect(got.value.location).toMatchObject({ countryCode: 'GB', country: 'United Kingdom', source: 'geoip' });
    expect(got.value.person).toEqual({ email, firstName: 'Janet', lastName: 'Doe', ip: '81.2.69.142', nameSource: 'history' });
    expect(got.value.enrichment?.applied).toEqual(expect.arrayContaining(['location.geoip', 'name.history']));
    // Everything else of the canonical event passes through untouched.
    expect(got.value).toMatchObject({ id: later.id, accountId, sourceId, type: 'signup', occurredAt: later.occurredAt, dialect: 'provesource', dedupeKey: later.dedupeKey });
    expect(lookups.mock.calls.some((c) => c[0] === '81.2.69.142')).toBe(true);

    // Same key as the input; CloudEvents binary mode with a child span of the incoming trace.
    expect(got.key).toBe(`${accountId}:${email}`);
    expect(got.headers).toMatchObject({ ce_id: later.id, ce_type: 'hookstream.event.signup', ce_source: `/sources/${sourceId}`, ce_specversion: '1.0', ce_subject: accountId });
    const traceId = (tp: string | undefined): string | undefined => tp?.split('-')[1];
    expect(traceId(got.headers['traceparent'])).toBe(traceId(traceparents.get(later.id)));
    expect(got.headers['traceparent']).not.toBe(traceparents.get(later.id));
  });

  it('keeps its name cache within ENRICHER_NAME_CACHE_BYTES while events bring long, ever different place names', async () => {
    expect(nameCacheStats().maxBytes).toBe(128 * 1024);
    // 400 events, each with a ~300-character country and state never seen before (~500 KB if all were kept).
    const events = Array.from({ length: 400 }, (_, i) =>
      canonical({
        person: person({}),
        location: { city: null, state: `Province ${i} ${'s'.repeat(150)}`, stateCode: null, country: `Land ${i} ${'c'.repeat(150)}`, countryCode: null, source: 'payload' },
      }),
    );
    await publish(...events);
    for (const e of events) await enrichedOnce(e.id);
    const s = nameCacheStats();
    expect(s.bytes).toBeLessThanOrEqual(128 * 1024);
    // Full: the long names were cached (and the oldest evicted), not skipped.
    expect(s.bytes).toBeGreaterThan(100 * 1024);
    // Known names still resolve while the cache churns.
    const uk = canonical({ person: person({}), location: { city: null, state: null, stateCode: null, country: 'U.K.', countryCode: null, source: 'payload' } });
    await publish(uk);
    expect((await enrichedOnce(uk.id)).value.location.countryCode).toBe('GB');
  });

  it('an unseen person gets the name from the email address, and nothing is remembered for it', async () => {
    const e = canonical({ person: person({ email: 'john.smith@example.org' }) });
    await publish(e);
    const got = await enrichedOnce(e.id);
    expect(got.value.person).toMatchObject({ firstName: 'John', lastName: 'Smith', nameSource: 'email' });
    expect(got.value.enrichment?.applied).toContain('name.email');
    // Only names a payload stated are learned; a guess is not.
    const rows = await nameRows();
    expect(rows.map((r) => r.email_key)).not.toContain(emailKey('john.smith@example.org', secret));
  });

  it('a private IP is never looked up and leaves the location empty', async () => {
    const e = canonical({ person: person({ email: 'li.wei@example.net', ip: '10.1.2.3' }) });
    await publish(e);
    const got = await enrichedOnce(e.id);
    expect(got.value.location).toEqual({ city: null, state: null, stateCode: null, country: null, countryCode: null, source: null });
    expect(got.value.enrichment?.applied.filter((a) => a.startsWith('location.'))).toEqual([]);
    expect(got.value.enrichment?.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^geoip\.skipped: ip\.private/)]));
    expect(lookups.mock.calls.some((c) => c[0] === '10.1.2.3')).toBe(false);
  });

  it('a name field holding an address is passed on but never remembered', async () => {
    const e = canonical({ person: person({ email: 'pat.kelly@example.com', firstName: 'pat.kelly@example.com', nameSource: 'payload' }) });
    await publish(e);
    const got = await enrichedOnce(e.id);
    expect(got.value.person).toMatchObject({ firstName: 'pat.kelly@example.com', nameSource: 'payload' });
    expect((await nameRows()).map((r) => r.email_key)).not.toContain(emailKey('pat.kelly@example.com', secret));
  });

  it('a new first name for an email replaces the remembered name whole, never mixing two people', async () => {
    // A role address: nothing can be guessed from it, so only the history speaks.
    const email = 'customer.4711@example.com';
    const key = emailKey(email, secret);
    const first = canonical({ person: person({ email, firstName: 'Samuel', lastName: 'Lee', nameSource: 'payload' }) });
    await publish(first);
    await enrichedOnce(first.id);
    const renamed = canonical({ person: person({ email, firstName: 'Priya', nameSource: 'payload' }) });
    await publish(renamed);
    const got = await enrichedOnce(renamed.id);
    // "Lee" belongs to Samuel; Priya's last name is unknown.
    expect(got.value.person).toMatchObject({ firstName: 'Priya', lastName: null, nameSource: 'payload' });
    await waitFor(async () => (await nameRows()).some((r) => r.email_key === key && r.first_name === 'Priya') || undefined, { what: 'renamed row' });
    expect((await nameRows()).filter((r) => r.email_key === key)).toEqual([expect.objectContaining({ first_name: 'Priya', last_name: null })]);

    const later = canonical({ person: person({ email }) });
    await publish(later);
    expect((await enrichedOnce(later.id)).value.person).toMatchObject({ firstName: 'Priya', lastName: null, nameSource: 'history' });
  });

  it('name_history holds keyed hashes and names, never an email address', async () => {
    const rows = await nameRows();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.email_key).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.map((r) => r.email_key)).toContain(emailKey('jane.doe+shop@example.com', secret));
    const text = JSON.stringify(rows);
    expect(text).not.toContain('@');
    expect(text).not.toContain('jane.doe');
    // Every row written during this run, whatever the account: no column holds an address.
    const [{ n }] = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM name_history WHERE updated_at >= $1 AND (email_key LIKE '%@%' OR first_name LIKE '%@%' OR last_name LIKE '%@%')`,
      [startedAt],
    );
    expect(Number(n)).toBe(0);
  });

  it('a batch whose enriched output exceeds the broker\'s max message size (1 MiB) goes through whole', async () => {
    // One person, so one partition and one record batch of input just under 1 MiB, which the app
    // reads as one handler batch; enrichment adds a few hundred bytes per event, so the output of
    // that batch is well over 1 MiB and must be produced in pieces.
    const email = 'bulk.buyer@example.com';
    const events = Array.from({ length: 1000 }, (_, i) =>
      canonical({
        person: person({ email, ip: `81.2.69.${1 + (i % 250)}` }),
        products: [{ id: String(i), name: 'Socks', link: null, image: null, price: 5, quantity: 2 }],
        attributes: { n: i },
      }),
    );
    const producer = app.get<EventProducer>(EVENT_PRODUCER);
    const sends = jest.spyOn(producer, 'send');
    try {
      await publish(...events);
      await waitFor(() => events.every((e) => outputsOf(e.id).length > 0) || undefined, { what: 'all 1000 events on events.enriched', timeoutMs: 60_000 });
    } catch (err) {
      sends.mockRestore();
      throw err;
    }
    // Read before restoring: mockRestore also forgets the recorded calls.
    const calls = [...sends.mock.calls];
    const results = [...sends.mock.results];
    sends.mockRestore();
    const ours = calls
      .map((call, i) => ({ topic: call[0], messages: call[1], result: results[i]?.value as Promise<void> }))
      .filter((c) => c.topic === Topics.eventsEnriched && c.messages.some((m) => m.key === `${accountId}:${email}`));
    // The whole batch goes to the producer, which cuts it into requests the broker accepts
    // (libs/kafka); every send is acknowledged, none refused, nothing dead-lettered.
    const settled = await Promise.allSettled(ours.map((c) => c.result));
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(ours.reduce((n, c) => n + c.messages.length, 0)).toBe(events.length);
    const sample = outputsOf(events[999]!.id)[0]!.value;
    expect(sample.person).toMatchObject({ firstName: 'Bulk', lastName: 'Buyer', nameSource: 'email' });
    expect(sample.location).toMatchObject({ countryCode: 'GB', source: 'geoip' });
  }, 90_000);

  it('a redelivered event writes the same name row and comes out the same', async () => {
    const products: ProductDto[] = [
      { id: '1', name: 'Socks', link: null, image: null, price: 5, quantity: 2 },
      { id: '2', name: 'Trainers', link: null, image: null, price: 80, quantity: 1 },
    ];
    const e = canonical({
      person: person({ email: 'maria.garcia@example.com', firstName: 'María', lastName: 'García', ip: '2a02:2e0:3fe:1001:302::', nameSource: 'payload' }),
      products,
      amount: 90,
      currency: 'EUR',
    });
    const key = emailKey('maria.garcia@example.com', secret);
    const rowOf = async () => (await nameRows()).filter((r) => r.email_key === key);

    await publish(e);
    const first = await enrichedOnce(e.id);
    const before = await waitFor(async () => {
      const r = await rowOf();
      return r.length === 1 ? r : undefined;
    }, { what: 'learned name row' });
    expect(before[0]).toMatchObject({ first_name: 'María', last_name: 'García' });
    expect(first.value.product).toMatchObject({ name: 'Trainers', price: 80 });

    // Redelivered twice more, once alone-in-a-batch-with-its-copy: still one row, same names.
    await publish(e, e);
    await waitFor(() => outputsOf(e.id).length >= 3 || undefined, { what: 'redelivered copies on events.enriched' });
    const after = await rowOf();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ first_name: 'María', last_name: 'García' });
    for (const copy of outputsOf(e.id)) expect(copy.value).toEqual(first.value);
  });
});
