import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import {
  dlqOf, envelopeHeaders, IdPrefix, newId, newTraceparent, topicPlan, Topics, type CanonicalEvent, type DuplicateEvent, type RawEventDto,
  type RejectedEvent,
} from '@hookstream/contracts';
import { createDataSource, type DataSource } from '@hookstream/db';
import { parseFormBody } from '@hookstream/dialects';
import {
  CoalescingProducer, DLQ_HEADERS, ensureTopics, EVENT_PRODUCER, KafkaBatchTransport, RethrowRpcFilter, type EventProducer, type InboundMessage,
  type OutboundMessage,
} from '@hookstream/kafka';
import { KAFKA_CLIENT } from '@hookstream/platform';
import { testBrokers, testDatabaseUrl, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { AppModule } from '../src/app.module';
import { ValidationService } from '../src/validation/validation.service';
import { dedupeKeyBytes } from '../src/validation/dedupe.repository';
import { ValidatorConfig } from '../src/validator.config';

// ---------------------------------------------------------------------------------------------
// Seed payloads, exactly as the product documents (../shared/seeds/) show them
// ---------------------------------------------------------------------------------------------

/** 000 (Activly), "Required payload format". */
const ACTIVLY_SEED = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };
/** 000 (Activly), the curl example. */
const ACTIVLY_CURL = { event: 'purchase', first_name: 'Alex', city: 'Berlin', country: 'DE', product: 'Pro Plan', timestamp: '2026-02-28T12:00:00Z' };
/** 002 (ProveSource), "Basic Parameters" + "Location Parameters" + "Purchase Parameters", together. */
const PS_BASIC = { email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', guid: 'id' };
const PS_LOCATION = { city: 'Miami', country: 'United States', countryCode: 'US', state: 'Florida', stateCode: 'FL' };
const PS_PURCHASE = { total: 55, currency: 'USD', productName: 'Sneakers', productLink: 'https://sneakers.com/sneakers', productImage: 'https://sneakers.com/sneakers.jpg' };
/** 002 (ProveSource), "Multiple Products Parameters". */
const PS_TSHIRT = { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 };

const FORM = 'application/x-www-form-urlencoded';
const JSON_CT = 'application/json';

// ---------------------------------------------------------------------------------------------
// The validator, in-process, with the real Kafka transport (as runApp wires it) and PostgreSQL
// ---------------------------------------------------------------------------------------------

/** Every source id of this run starts with this, so our outcomes can be told from other tests'. */
const RUN = uniqueName('src_valint');
const ACCOUNT = uniqueName('acc_valint');
const config = loadConfig(ValidatorConfig, { KAFKA_BROKERS: testBrokers().join(','), DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: 'silent', HOOKSTREAM_DEV_INSECURE_KEYS: 'true' });
const validatorGroup = uniqueName('hookstream-validator-int');

function sourceOf(m: OutboundMessage): string | null {
  const v = m.value as { sourceId?: unknown; raw?: { sourceId?: unknown } } | null;
  if (typeof v?.sourceId === 'string') return v.sourceId;
  if (typeof v?.raw?.sourceId === 'string') return v.raw.sourceId;
  return m.key;
}

/**
 * The real producer, publishing only what concerns this run's sources. events.raw is shared by
 * every test on the broker; without this, this validator's group would republish other tests'
 * events on events.valid next to their own validator's copy.
 */
class RunScopedProducer extends CoalescingProducer {
  /** Sources whose events.valid sends fail, as when the broker refuses them (fault injection). */
  readonly refuseValidFor = new Set<string>();

  override async send(topic: string, messages: OutboundMessage[]): Promise<void> {
    const ours = messages.filter((m) => sourceOf(m)?.startsWith(RUN) ?? false);
    if (topic === Topics.eventsValid && ours.some((m) => this.refuseValidFor.has(sourceOf(m) ?? ''))) {
      throw new Error('KafkaJSError: broker refused the produce (injected)');
    }
    return super.send(topic, ours);
  }
}

/** New consumer groups start at the current end, so the shared topics' history is not replayed. */
async function positionAtEnd(kafka: Kafka, group: string, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

async function startValidator(): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] })
    .overrideProvider(EVENT_PRODUCER)
    .useFactory({
      inject: [KAFKA_CLIENT],
      factory: async (kafka: Kafka): Promise<EventProducer> => {
        const p = new RunScopedProducer(kafka, { sendTimeoutMs: 5000 });
        await p.connect();
        return p;
      },
    })
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  // Same order as createApp/runApp: init (migrations, producer) first, then the consumer.
  await app.init();
  const producer = app.get<EventProducer>(EVENT_PRODUCER);
  if (!(producer instanceof RunScopedProducer)) throw new Error('the run-scoped producer is not the one the app uses');
  const kafka = app.get<Kafka>(KAFKA_CLIENT);
  const ms = app.connectMicroservice(
    {
      strategy: new KafkaBatchTransport({
        kafka, producer, groupId: validatorGroup, maxBatchSize: 500, sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 1000,
      }),
    },
    { deferInitialization: true },
  );
  (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
  ms.useGlobalFilters(new RethrowRpcFilter());
  await app.startAllMicroservices();
  return app;
}

interface Seen<T> {
  value: T;
  key: string | null;
  headers: Record<string, string>;
}

describe('validator on the real broker and database', () => {
  const kafka = testKafka('validator-int');
  const valid: Seen<CanonicalEvent>[] = [];
  const rejected: Seen<RejectedEvent>[] = [];
  const duplicates: Seen<DuplicateEvent>[] = [];
  const deadLetters: Seen<unknown>[] = [];
  const traces = new Map<string, string>();
  let producer: Producer;
  let reader: Consumer;
  let db: DataSource;
  let app: NestFastifyApplication;
  let sourceSeq = 0;

  function newSource(): string {
    sourceSeq++;
    return `${RUN}-${sourceSeq}`;
  }

  /** A raw event as the gateway builds it (ingest.service toRawEvent). */
  function raw(sourceId: string, body: unknown, over: Partial<RawEventDto> = {}): RawEventDto {
    return {
      id: newId(IdPrefix.event), accountId: ACCOUNT, sourceId, receivedAt: new Date().toISOString(), contentType: JSON_CT,
      headers: { 'user-agent': 'validator-int-test' }, body, clientIp: '127.0.0.1', idempotencyKey: null, dialect: 'auto',
      initiatedFrom: 'api', batch: false, dedupe: null, ...over,
    };
  }

  async function publish(...events: RawEventDto[]): Promise<void> {
    await producer.send({
      topic: Topics.eventsRaw,
      acks: -1,
      messages: events.map((e) => {
        const traceparent = newTraceparent();
        traces.set(e.id, traceparent);
        return {
          key: e.sourceId,
          value: JSON.stringify(e),
          headers: envelopeHeaders({ id: e.id, type: 'hookstream.event.received', source: `/sources/${e.sourceId}`, time: e.receivedAt, traceparent }),
        };
      }),
    });
  }

  const validFor = (id: string) => valid.filter((v) => v.value.id === id);
  // Generous: the broker is shared with other suites, and a group rebalance there can stall a few seconds.
  const WAIT = { timeoutMs: 45_000 };
  const waitValid = (id: string) => waitFor(() => validFor(id)[0], { ...WAIT, what: `${id} on events.valid` });
  const waitRejected = (id: string) => waitFor(() => rejected.find((r) => r.value.raw.id === id), { ...WAIT, what: `${id} on events.rejected` });
  const waitDuplicate = (id: string) => waitFor(() => duplicates.find((d) => d.value.raw.id === id), { ...WAIT, what: `${id} on events.duplicate` });
  const outcomeOf = (id: string) => validFor(id)[0] ?? rejected.find((r) => r.value.raw.id === id) ?? duplicates.find((d) => d.value.raw.id === id);

  /** The source's rows of dedupe_keys, each named by the one of `keys` whose hash it holds (or `unknown:<hash>`). */
  async function dedupeRows(sourceId: string, ...keys: string[]): Promise<{ key: string; event_id: string; duplicate_count: number }[]> {
    const rows: { key_bytes: Buffer; event_id: string; duplicate_count: number }[] = await db.query(
      'SELECT key_bytes, event_id, duplicate_count FROM dedupe_keys WHERE source_id = $1', [sourceId],
    );
    const named = new Map(keys.map((k) => [dedupeKeyBytes(sourceId, k).toString('hex'), k]));
    return rows
      .map((r) => ({ key: named.get(r.key_bytes.toString('hex')) ?? `unknown:${r.key_bytes.toString('hex')}`, event_id: r.event_id, duplicate_count: r.duplicate_count }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Publishes one event, waits until the validator has dealt with it; returns the canonical event. */
  async function validate(sourceId: string, body: unknown, over: Partial<RawEventDto> = {}): Promise<Seen<CanonicalEvent>> {
    const e = raw(sourceId, body, over);
    await publish(e);
    const out = await waitFor(() => outcomeOf(e.id), { ...WAIT, what: `an outcome for ${e.id}` });
    if (!('type' in out.value)) throw new Error(`expected a valid event, got ${JSON.stringify(out.value)}`);
    return out as Seen<CanonicalEvent>;
  }

  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
    // Topics must exist before the groups can be positioned on them.
    await ensureTopics(kafka, topicPlan(config.KAFKA_TOPIC_PARTITIONS));
    await positionAtEnd(kafka, validatorGroup, [Topics.eventsRaw]);

    const readerGroup = uniqueName('validator-int-reader');
    const outTopics = [Topics.eventsValid, Topics.eventsRejected, Topics.eventsDuplicate, dlqOf(Topics.eventsRaw)];
    await positionAtEnd(kafka, readerGroup, outTopics);
    reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: outTopics });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
        let value: unknown;
        try {
          value = JSON.parse(message.value.toString());
        } catch {
          return;
        }
        const key = message.key?.toString() ?? null;
        if (topic === Topics.eventsValid) {
          const e = value as CanonicalEvent;
          if (e.sourceId.startsWith(RUN)) valid.push({ value: e, key, headers });
        } else if (topic === Topics.eventsRejected) {
          const r = value as RejectedEvent;
          if (r.raw.sourceId.startsWith(RUN)) rejected.push({ value: r, key, headers });
        } else if (topic === dlqOf(Topics.eventsRaw)) {
          if (key?.startsWith(RUN)) deadLetters.push({ value, key, headers });
        } else {
          const d = value as DuplicateEvent;
          if (d.raw.sourceId.startsWith(RUN)) duplicates.push({ value: d, key, headers });
        }
      },
    });

    db = createDataSource({ url: testDatabaseUrl(), poolSize: 2 });
    await db.initialize();
    app = await startValidator();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await reader?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (db?.isInitialized) {
      await db.query('DELETE FROM dedupe_keys WHERE source_id LIKE $1', [`${RUN}-%`]);
      await db.destroy();
    }
  }, 60_000);

  describe('seed payloads → canonical events on events.valid', () => {
    it('Activly "Required payload format", pinned dialect', async () => {
      const src = newSource();
      const { value: e, key, headers } = await validate(src, ACTIVLY_SEED, { dialect: 'activly' });
      expect(e).toMatchObject({ accountId: ACCOUNT, sourceId: src, type: 'purchase', occurredAt: '2026-02-28T14:30:00.000Z', initiatedFrom: 'api', dialect: 'activly' });
      expect(e.person).toEqual({ email: null, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' });
      // "UK" is a country code (GB); the country name is the enricher's job.
      expect(e.location).toEqual({ city: 'London', state: null, stateCode: null, country: null, countryCode: 'GB', source: 'payload' });
      expect(e.product).toEqual({ id: null, name: 'Running Shoes', link: null, image: null, price: null, quantity: null });
      expect(e.products).toEqual([]);
      expect(e.amount).toBeNull();
      expect(e.currency).toBeNull();
      expect(e.attributes).toEqual({});
      expect(e.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Date.parse(e.receivedAt)).toBeGreaterThan(Date.now() - 60_000);
      // Keyed by account + person (no email: the event id); CloudEvents headers on the same trace.
      expect(key).toBe(`${ACCOUNT}:${e.id}`);
      expect(headers).toMatchObject({ ce_specversion: '1.0', ce_id: e.id, ce_type: 'hookstream.event.purchase', ce_source: `/sources/${src}`, ce_time: e.occurredAt, ce_subject: ACCOUNT });
      expect(headers['traceparent']?.split('-')[1]).toBe(traces.get(e.id)?.split('-')[1]);
      expect(headers['traceparent']).not.toBe(traces.get(e.id));
    });

    it('Activly curl example with the optional fields, dialect auto-detected', async () => {
      const src = newSource();
      const body = { ...ACTIVLY_CURL, amount: 49.0, currency: 'gbp', email: 'Alex@Example.com', product_url: 'https://example.com/pro', plan_tier: 'gold' };
      const { value: e, key } = await validate(src, body);
      expect(e).toMatchObject({ type: 'purchase', occurredAt: '2026-02-28T12:00:00.000Z', dialect: 'activly', amount: 49, currency: 'GBP' });
      expect(e.person).toEqual({ email: 'alex@example.com', firstName: 'Alex', lastName: null, ip: null, nameSource: 'payload' });
      expect(e.location).toMatchObject({ city: 'Berlin', countryCode: 'DE' });
      expect(e.product).toEqual({ id: null, name: 'Pro Plan', link: 'https://example.com/pro', image: null, price: 49, quantity: null });
      expect(e.attributes).toEqual({ plan_tier: 'gold' });
      expect(key).toBe(`${ACCOUNT}:alex@example.com`);
    });

    it('ProveSource JSON: basic + location + purchase parameters, ms timestamp, auto-detected', async () => {
      const src = newSource();
      const { value: e } = await validate(src, { ...PS_BASIC, ...PS_LOCATION, ...PS_PURCHASE });
      expect(e).toMatchObject({ type: 'purchase', occurredAt: '2018-06-10T06:14:39.398Z', dialect: 'provesource', initiatedFrom: 'api', amount: 55, currency: 'USD' });
      expect(e.person).toEqual({ email: 'test@gmail.com', firstName: 'John', lastName: 'Smith', ip: '141.92.55.102', nameSource: 'payload' });
      expect(e.location).toEqual({ city: 'Miami', state: 'Florida', stateCode: 'FL', country: 'United States', countryCode: 'US', source: 'payload' });
      // `guid` is the product id.
      expect(e.product).toEqual({ id: 'id', name: 'Sneakers', link: 'https://sneakers.com/sneakers', image: 'https://sneakers.com/sneakers.jpg', price: 55, quantity: null });
      expect(e.attributes).toEqual({});
    });

    it('ProveSource products[] with a seconds timestamp: the most expensive product is the product', async () => {
      const src = newSource();
      const hat = { name: 'Hat', link: 'https://mystore.com/hat', price: 80 };
      const { value: e } = await validate(src, { email: 'buyer@example.com', timestamp: 1528611279, products: [PS_TSHIRT, hat] });
      expect(e).toMatchObject({ type: 'purchase', occurredAt: '2018-06-10T06:14:39.000Z', dialect: 'provesource' });
      expect(e.product).toEqual({ id: null, name: 'Hat', link: 'https://mystore.com/hat', image: null, price: 80, quantity: null });
      expect(e.products).toEqual([
        { id: '123', name: 'T-Shirt', link: 'https://mystore.com/t-shirt', image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 },
        { id: null, name: 'Hat', link: 'https://mystore.com/hat', image: null, price: 80, quantity: null },
      ]);
      expect(e.person.email).toBe('buyer@example.com');
    });

    it('ProveSource products[] with the seed item alone: that item is the product; no payload time → receivedAt', async () => {
      const src = newSource();
      const { value: e } = await validate(src, { email: 'test@gmail.com', products: [PS_TSHIRT] }, { dialect: 'provesource' });
      expect(e.product).toEqual({ id: '123', name: 'T-Shirt', link: 'https://mystore.com/t-shirt', image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 });
      // No payload time: the event happened when it was received.
      expect(e.occurredAt).toBe(e.receivedAt);
    });

    it('ProveSource form-encoded body (parsed as the gateway does), ms timestamp as a string, auto-detected', async () => {
      const src = newSource();
      const text =
        'email=test%40gmail.com&timestamp=1528611279398&ip=141.92.55.102&firstName=John&lastName=Smith&guid=id&city=Miami' +
        '&country=United+States&countryCode=US&state=Florida&stateCode=FL&total=55&currency=USD&productName=Sneakers' +
        '&productLink=https%3A%2F%2Fsneakers.com%2Fsneakers&productImage=https%3A%2F%2Fsneakers.com%2Fsneakers.jpg';
      const { value: e } = await validate(src, parseFormBody(text), { contentType: FORM });
      expect(e).toMatchObject({ type: 'purchase', occurredAt: '2018-06-10T06:14:39.398Z', dialect: 'provesource', amount: 55, currency: 'USD' });
      expect(e.person).toEqual({ email: 'test@gmail.com', firstName: 'John', lastName: 'Smith', ip: '141.92.55.102', nameSource: 'payload' });
      expect(e.location).toEqual({ city: 'Miami', state: 'Florida', stateCode: 'FL', country: 'United States', countryCode: 'US', source: 'payload' });
      expect(e.product).toEqual({ id: 'id', name: 'Sneakers', link: 'https://sneakers.com/sneakers', image: 'https://sneakers.com/sneakers.jpg', price: 55, quantity: null });
    });

    it('ProveSource form-encoded products[] with bracket keys: the most expensive wins', async () => {
      const src = newSource();
      const text =
        'email=form%40example.com&timestamp=1528611279&products[0][name]=T-Shirt&products[0][link]=https%3A%2F%2Fmystore.com%2Ft-shirt' +
        '&products[0][price]=55&products[0][quantity]=2&products[1][name]=Coat&products[1][link]=https%3A%2F%2Fmystore.com%2Fcoat&products[1][price]=120.50';
      const { value: e } = await validate(src, parseFormBody(text), { contentType: FORM, dialect: 'provesource' });
      expect(e.occurredAt).toBe('2018-06-10T06:14:39.000Z');
      expect(e.product).toMatchObject({ name: 'Coat', link: 'https://mystore.com/coat', price: 120.5 });
      expect(e.products.map((p) => [p.name, p.price, p.quantity])).toEqual([['T-Shirt', 55, 2], ['Coat', 120.5, null]]);
    });

    it('ProveSource with the email nested in the payload (automatic email search)', async () => {
      const src = newSource();
      const body = { firstName: 'Jane', timestamp: 1528611279, order: { customer: { contact_email: 'Jane.Doe@Example.com' } } };
      const { value: e, key } = await validate(src, body);
      expect(e).toMatchObject({ type: 'signup', dialect: 'provesource', occurredAt: '2018-06-10T06:14:39.000Z' });
      expect(e.person).toEqual({ email: 'jane.doe@example.com', firstName: 'Jane', lastName: null, ip: null, nameSource: 'payload' });
      expect(e.attributes).toEqual({ order: { customer: { contact_email: 'Jane.Doe@Example.com' } } });
      expect(key).toBe(`${ACCOUNT}:jane.doe@example.com`);
    });

    it('ActiveCampaign-style subscribe form: contact event, offset date_time, initiated_from, tags', async () => {
      const src = newSource();
      const text = 'type=subscribe&contact[email]=jane%40example.com&contact[tags]=a,b&date_time=2013-01-01+12%3A00%3A00+-05%3A00&initiated_from=admin';
      const { value: e, key, headers } = await validate(src, parseFormBody(text), { contentType: FORM });
      expect(e).toMatchObject({ type: 'contact.subscribed', occurredAt: '2013-01-01T17:00:00.000Z', dialect: 'activecampaign', initiatedFrom: 'admin' });
      expect(e.person).toEqual({ email: 'jane@example.com', firstName: null, lastName: null, ip: null, nameSource: null });
      expect(e.product).toBeNull();
      expect(e.amount).toBeNull();
      expect(e.attributes).toEqual({ activecampaignType: 'subscribe', tags: ['a', 'b'] });
      expect(key).toBe(`${ACCOUNT}:jane@example.com`);
      expect(headers['ce_type']).toBe('hookstream.event.contact.subscribed');
    });
  });

  describe('rejections', () => {
    it('an invalid Activly payload lands on events.rejected with every precise reason', async () => {
      const src = newSource();
      const body = { event: 'refund', first_name: 'Sarah', timestamp: '2026-02-28T14:30:00+02:00' };
      const e = raw(src, body, { dialect: 'activly' });
      await publish(e);
      const { value: r, key, headers } = await waitRejected(e.id);
      expect(r.dialect).toBe('activly');
      expect(r.raw).toEqual(e);
      expect(Date.parse(r.rejectedAt)).toBeGreaterThan(Date.now() - 60_000);
      const byPath = Object.fromEntries(r.reasons.map((x) => [x.path, x]));
      expect(Object.keys(byPath).sort()).toEqual(['city', 'country', 'event', 'product', 'timestamp']);
      expect(byPath['event']).toMatchObject({ rule: 'isIn', value: '"refund"' });
      expect(byPath['event'].message).toContain('purchase, signup, review, custom');
      expect(byPath['city']).toMatchObject({ rule: 'required' });
      expect(byPath['country']).toMatchObject({ rule: 'required' });
      expect(byPath['product']).toMatchObject({ rule: 'required' });
      expect(byPath['timestamp']).toMatchObject({ rule: 'isUtcIso8601', value: '"2026-02-28T14:30:00+02:00"' });
      expect(key).toBe(src);
      expect(headers).toMatchObject({ ce_id: e.id, ce_type: 'hookstream.event.rejected', ce_source: `/sources/${src}` });
      expect(validFor(e.id)).toHaveLength(0);
      // A rejected event claims no dedupe key.
      expect(await dedupeRows(src)).toEqual([]);
    });

    it('a ProveSource payload without any email, and a body that is not an object, are rejected with their rule', async () => {
      const src = newSource();
      const noEmail = raw(src, { firstName: 'John', timestamp: 1528611279398 }, { dialect: 'provesource' });
      const notObject = raw(src, [1, 2]);
      await publish(noEmail, notObject);
      const a = await waitRejected(noEmail.id);
      expect(a.value.reasons).toEqual([expect.objectContaining({ path: 'email', rule: 'required' })]);
      const b = await waitRejected(notObject.id);
      expect(b.value.reasons).toEqual([expect.objectContaining({ rule: 'isObject' })]);
    });
  });

  describe('malformed raw messages', () => {
    it('a raw event the gateway could not have written is dead-lettered alone; its batch-mates go through', async () => {
      const src = newSource();
      const before = raw(src, ACTIVLY_SEED, { dialect: 'activly' });
      const { accountId: _drop, ...noAccount } = raw(src, ACTIVLY_CURL, { dialect: 'activly' });
      const after = raw(src, { ...ACTIVLY_SEED, first_name: 'Sam' }, { dialect: 'activly' });
      await publish(before, noAccount as RawEventDto, after);
      await waitValid(before.id);
      await waitValid(after.id);
      const dl = await waitFor(() => deadLetters.find((d) => (d.value as { id?: string }).id === noAccount.id), { ...WAIT, what: 'the dead letter' });
      expect(dl.key).toBe(src);
      expect(dl.headers[DLQ_HEADERS.error]).toMatch(/invalid raw event: accountId/);
      // Permanent: dead-lettered on the first attempt, not after retries.
      expect(dl.headers[DLQ_HEADERS.attempts]).toBe('1');
      expect(outcomeOf(noAccount.id)).toBeUndefined();
    });
  });

  describe('dedupe', () => {
    it('the same event posted twice (same Idempotency-Key, new event ids): one valid, one duplicate, counted once', async () => {
      const src = newSource();
      const first = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-42', headers: { 'idempotency-key': 'order-42' } });
      await publish(first);
      const v = await waitValid(first.id);
      expect(v.value.dedupeKey).toBe('idem:order-42');
      const second = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-42', headers: { 'idempotency-key': 'order-42' } });
      await publish(second);
      const d = await waitDuplicate(second.id);
      expect(d.value).toMatchObject({ originalEventId: first.id, dedupeKey: 'idem:order-42', raw: second });
      expect(d.key).toBe(src);
      expect(d.headers).toMatchObject({ ce_id: second.id, ce_type: 'hookstream.event.duplicate' });
      expect(validFor(second.id)).toHaveLength(0);
      expect(await dedupeRows(src, 'idem:order-42')).toEqual([{ key: 'idem:order-42', event_id: first.id, duplicate_count: 1 }]);
    });

    it('the same event posted twice in one send (likely one batch): one valid, one duplicate, counted once', async () => {
      const src = newSource();
      const a = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-43' });
      const b = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-43' });
      await publish(a, b);
      await waitValid(a.id);
      const d = await waitDuplicate(b.id);
      expect(d.value.originalEventId).toBe(a.id);
      expect(validFor(b.id)).toHaveLength(0);
      expect(await dedupeRows(src, 'idem:order-43')).toEqual([{ key: 'idem:order-43', event_id: a.id, duplicate_count: 1 }]);
    });

    it('the same raw message redelivered (same event id) is never a duplicate', async () => {
      const src = newSource();
      const e = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-44' });
      await publish(e);
      await waitValid(e.id);
      await publish(e);
      // Same partition (key = source), so once the sentinel is through, the redelivery was handled.
      const sentinel = raw(src, ACTIVLY_CURL, { dialect: 'activly' });
      await publish(sentinel);
      await waitValid(sentinel.id);
      expect(duplicates.filter((d) => d.value.raw.id === e.id)).toHaveLength(0);
      expect(validFor(e.id).length).toBeGreaterThanOrEqual(1);
      expect(validFor(e.id).every((v) => v.value.dedupeKey === 'idem:order-44')).toBe(true);
      const rows = await dedupeRows(src, 'idem:order-44');
      expect(rows.find((r) => r.key === 'idem:order-44')).toEqual({ key: 'idem:order-44', event_id: e.id, duplicate_count: 0 });
    });

    it('a key claimed for an event whose publish failed is given back: a retry with a new id is valid, not a duplicate', async () => {
      const src = newSource();
      const producerInApp = app.get<EventProducer>(EVENT_PRODUCER) as RunScopedProducer;
      const first = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-90', headers: { 'idempotency-key': 'order-90' } });
      const message: InboundMessage<RawEventDto> = {
        topic: Topics.eventsRaw, partition: 0, offset: '0', key: src, value: first, headers: {}, timestamp: first.receivedAt,
        envelope: { id: first.id, type: 'hookstream.event.received', source: `/sources/${src}`, time: first.receivedAt },
      };
      producerInApp.refuseValidFor.add(src);
      try {
        // What the consumer runs for a batch: the claim (real PostgreSQL), then the publish that fails.
        await expect(app.get(ValidationService).process([message])).rejects.toThrow(/broker refused/);
      } finally {
        producerInApp.refuseValidFor.delete(src);
      }
      expect(await dedupeRows(src)).toEqual([]);

      // The event never went out (it was dead-lettered, or the sender retries with a new id).
      const retry = raw(src, ACTIVLY_SEED, { dialect: 'activly', idempotencyKey: 'order-90', headers: { 'idempotency-key': 'order-90' } });
      await publish(retry);
      await waitValid(retry.id);
      expect(duplicates.filter((d) => d.value.raw.id === retry.id)).toHaveLength(0);
      expect(await dedupeRows(src, 'idem:order-90')).toEqual([{ key: 'idem:order-90', event_id: retry.id, duplicate_count: 0 }]);
      // The exactly-once effect holds from there: the original, replayed, is now the duplicate.
      await publish(first);
      const d = await waitDuplicate(first.id);
      expect(d.value.originalEventId).toBe(retry.id);
      expect(validFor(first.id)).toHaveLength(0);
    });

    it('window dedupe: person.email + type within an hour → the second, different payload is a duplicate', async () => {
      const src = newSource();
      const dedupe = { fields: ['person.email', 'type'], windowSeconds: 3600 };
      // 10:05 and 10:40 UTC: the same fixed one-hour bucket.
      const t0 = Date.parse('2026-02-28T10:05:00Z');
      const base = { email: 'window@example.com', firstName: 'Win', productLink: 'https://shop.test/p' };
      const a = raw(src, { ...base, productName: 'Hat', total: 20, currency: 'EUR', timestamp: t0 }, { dialect: 'provesource', dedupe });
      const b = raw(src, { ...base, productName: 'Scarf', total: 35, currency: 'EUR', timestamp: t0 + 35 * 60_000 }, { dialect: 'provesource', dedupe });
      const other = raw(src, { ...base, email: 'someone-else@example.com', productName: 'Hat', total: 20, timestamp: t0 }, { dialect: 'provesource', dedupe });
      await publish(a);
      await waitValid(a.id);
      await publish(b, other);
      const d = await waitDuplicate(b.id);
      expect(d.value.originalEventId).toBe(a.id);
      expect(d.value.dedupeKey).toMatch(/^win:[0-9a-f]{64}$/);
      // A different email is another person: valid.
      await waitValid(other.id);
      expect(validFor(b.id)).toHaveLength(0);
      const win = (await dedupeRows(src, d.value.dedupeKey)).filter((r) => r.key === d.value.dedupeKey);
      expect(win).toEqual([{ key: d.value.dedupeKey, event_id: a.id, duplicate_count: 1 }]);
    });

    it('Activly sources dedupe on the email within an hour by default', async () => {
      const src = newSource();
      const a = raw(src, { ...ACTIVLY_SEED, email: 'sarah@example.com' }, { dialect: 'activly' });
      const b = raw(src, { ...ACTIVLY_SEED, email: 'Sarah@Example.com', product: 'Trail Shoes', timestamp: '2026-02-28T14:50:00Z' }, { dialect: 'activly' });
      await publish(a, b);
      await waitValid(a.id);
      const d = await waitDuplicate(b.id);
      expect(d.value.originalEventId).toBe(a.id);
      expect(d.value.dedupeKey).toMatch(/^win:/);
    });
  });
});
