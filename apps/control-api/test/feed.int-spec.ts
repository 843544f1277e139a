import { dlqOf, IdPrefix, newId, stableId, Topics, type CanonicalEvent, type DeliveryResultDto, type DuplicateEvent, type RawEventDto, type RejectedEvent } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { DLQ_HEADERS } from '@hookstream/kafka';
import { testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { Producer } from 'kafkajs';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeedPartitionsService, FeedWriterService, partitionName, utcDay } from '@hookstream/feed-store';
import { FeedStreamService } from '../src/feed/feed-stream.service';
import { ConfigTopicReader, startControlApi, TEST_FEED_PROJECTION, TEST_PROJECTOR, type TestApp } from './control-api.harness';

interface Summary {
  id: string;
  status: string;
  type: string | null;
  sourceId: string;
  person: { firstName: string | null; emailMasked: string | null };
  reasons: number;
  duplicateOf: string | null;
  deliveries: { total: number; succeeded: number; failed: number };
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

const HOUR = 3600_000;

function rawEvent(accountId: string, sourceId: string, receivedAt: Date, body: Record<string, unknown>): RawEventDto {
  return {
    id: newId(IdPrefix.event, receivedAt.getTime()), accountId, sourceId, receivedAt: receivedAt.toISOString(), contentType: 'application/json',
    headers: { 'user-agent': 'feed-test' }, body, clientIp: null, idempotencyKey: null, dialect: 'activly', initiatedFrom: 'api',
  };
}

function activly(email: string): Record<string, unknown> {
  return { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z', email };
}

function canonicalOf(raw: RawEventDto, email: string): CanonicalEvent {
  return {
    id: raw.id, accountId: raw.accountId, sourceId: raw.sourceId, type: 'purchase', occurredAt: '2026-02-28T14:30:00.000Z', receivedAt: raw.receivedAt, initiatedFrom: 'api',
    person: { email, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
    location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: { id: null, name: 'Running Shoes', link: null, image: null, price: null, quantity: null }, products: [], amount: 49, currency: 'GBP',
    attributes: {}, dialect: 'activly', dedupeKey: `content:${raw.id}`, enrichment: { applied: ['location.country'], warnings: [] },
  } as CanonicalEvent;
}

describe('control-api read side: feed, stream, deliveries, endpoint health (real Kafka + PostgreSQL)', () => {
  let t: TestApp;
  let ds: DataSource;
  let producer: Producer;
  let reader: ConfigTopicReader;
  let fakeDelivery: Server;
  let sampleCalls: { token: string | undefined; body: string; url: string }[];
  let a: { accountId: string; key: string };
  let b: { accountId: string; key: string };
  const srcA = uniqueName('src').replace(/-/g, '_');
  const emails = { accepted: `${uniqueName('sarah')}@example.com`, duplicate: `${uniqueName('dup')}@example.com` };
  const now = new Date();
  let accepted: RawEventDto;
  let rejected: RawEventDto;
  let duplicate: RawEventDto;
  let lateRaw: RawEventDto;

  async function publish(topic: string, key: string, value: unknown): Promise<void> {
    await producer.send({ topic, messages: [{ key, value: JSON.stringify(value) }] });
  }

  async function feed(key: string, query = ''): Promise<Page<Summary>> {
    const res = await t.request('GET', `/v1/events${query}`, { key });
    expect(res.statusCode).toBe(200);
    return res.json<Page<Summary>>();
  }

  beforeAll(async () => {
    sampleCalls = [];
    fakeDelivery = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        sampleCalls.push({ token: req.headers['x-hookstream-internal'] as string | undefined, body, url: req.url ?? '' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ webhookId: 'msg_1', outcome: 'succeeded', httpStatus: 204, latencyMs: 12, error: null, response: { headers: {}, body: '' } }));
      });
    });
    await new Promise<void>((r) => fakeDelivery.listen(0, '127.0.0.1', () => r()));
    t = await startControlApi(
      { ENDPOINT_ALLOW_HTTP: 'true', ENDPOINT_ALLOWED_PORTS: 'any', ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32', DELIVERY_INTERNAL_URL: `http://127.0.0.1:${(fakeDelivery.address() as AddressInfo).port}` },
      { consumer: true, listen: true },
    );
    ds = t.app.get(DataSource);
    producer = testKafka(uniqueName('feed-test')).producer();
    await producer.connect();
    reader = new ConfigTopicReader();
    await reader.start();
    a = await t.newAccount();
    b = await t.newAccount();

    accepted = rawEvent(a.accountId, srcA, now, activly(emails.accepted));
    rejected = rawEvent(a.accountId, `${srcA}_other`, new Date(now.getTime() - 2 * HOUR), { event: 'purchase' });
    duplicate = rawEvent(a.accountId, srcA, new Date(now.getTime() + 1), activly(emails.duplicate));
    lateRaw = rawEvent(a.accountId, srcA, new Date(now.getTime() + 2), activly(emails.accepted.replace('@', '+late@')));

    await publish(Topics.eventsRaw, srcA, accepted);
    await publish(Topics.eventsEnriched, `${a.accountId}:${emails.accepted}`, canonicalOf(accepted, emails.accepted));
    const rej: RejectedEvent = { raw: rejected, reasons: [{ path: 'city', rule: 'required', message: 'city is required' }, { path: 'timestamp', rule: 'required', message: 'timestamp is required' }], dialect: 'activly', rejectedAt: now.toISOString() };
    await publish(Topics.eventsRejected, rejected.sourceId, rej);
    await publish(Topics.eventsRaw, srcA, duplicate);
    const dup: DuplicateEvent = { raw: duplicate, dedupeKey: 'content:abc', originalEventId: accepted.id, seenAt: now.toISOString() };
    await publish(Topics.eventsDuplicate, srcA, dup);
    // The verdict first, its raw event later: the feed must end up accepted and still hold the raw request.
    await publish(Topics.eventsEnriched, `${a.accountId}:late`, canonicalOf(lateRaw, 'late@example.com'));
    await publish(Topics.eventsRaw, srcA, lateRaw);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await reader?.stop();
    await t?.close();
    await new Promise<void>((r) => (fakeDelivery ? fakeDelivery.close(() => r()) : r()));
  });

  it('an invalid message on events.duplicate goes to its DLQ, naming the feed writer’s group (it was dropped before)', async () => {
    const dlq = dlqOf(Topics.eventsDuplicate);
    const admin = testKafka(uniqueName('feed-dlq-admin')).admin();
    await admin.connect();
    const start = await admin.fetchTopicOffsets(dlq);
    await admin.disconnect();
    const marker = uniqueName('not-a-duplicate');
    await publish(Topics.eventsDuplicate, srcA, { marker, raw: 'not a raw event' });
    const found: Record<string, string>[] = [];
    const c = testKafka(uniqueName('feed-dlq-reader')).consumer({ groupId: uniqueName('feed-dlq-reader'), maxWaitTimeInMs: 100 });
    await c.connect();
    try {
      await c.subscribe({ topics: [dlq] });
      await c.run({
        eachMessage: async ({ message }) => {
          if (!message.value?.toString().includes(marker)) return;
          found.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)])));
        },
      });
      for (const o of start) c.seek({ topic: dlq, partition: o.partition, offset: o.high });
      await waitFor(() => found.length > 0 || undefined, { timeoutMs: 20_000, what: 'the invalid duplicate on its DLQ' });
    } finally {
      await c.disconnect();
    }
    expect(found[0][DLQ_HEADERS.topic]).toBe(Topics.eventsDuplicate);
    expect(found[0][DLQ_HEADERS.group]).toMatch(/^ctl-feed-/);
    expect(found[0][DLQ_HEADERS.attempts]).toBe('1');
  });

  it('lists the events with the right statuses, newest first, whatever order the topics arrived in', async () => {
    const page = await waitFor(async () => {
      const p = await feed(a.key);
      const statuses = Object.fromEntries(p.data.map((e) => [e.id, e.status]));
      return statuses[accepted.id] === 'accepted' && statuses[rejected.id] === 'rejected' && statuses[duplicate.id] === 'duplicate' && statuses[lateRaw.id] === 'accepted' ? p : undefined;
    }, { timeoutMs: 30000, what: 'the feed to show all four events with their verdicts' });
    expect(page.data.map((e) => e.id)).toEqual([lateRaw.id, duplicate.id, accepted.id, rejected.id]);
    const byId = Object.fromEntries(page.data.map((e) => [e.id, e]));
    expect(byId[accepted.id]).toMatchObject({ type: 'purchase', sourceId: srcA, person: { firstName: 'Sarah' }, reasons: 0, duplicateOf: null });
    expect(byId[accepted.id].person.emailMasked).toMatch(/^s\*\*\*@example\.com$/);
    expect(byId[rejected.id]).toMatchObject({ status: 'rejected', reasons: 2 });
    expect(byId[duplicate.id]).toMatchObject({ status: 'duplicate', type: 'purchase', duplicateOf: accepted.id });
    // Emails never appear in clear in the feed.
    expect(JSON.stringify(page)).not.toContain(emails.accepted);
    expect(JSON.stringify(page)).not.toContain(emails.duplicate);
    // The raw request published after its verdict is added to the row without downgrading it.
    const late = await waitFor(async () => {
      const story = (await t.request('GET', `/v1/events/${lateRaw.id}`, { key: a.key })).json<{ raw: RawEventDto | null; summary: Summary }>();
      return story.raw ? story : undefined;
    }, { what: 'the late raw request to be stored' });
    expect(late.summary.status).toBe('accepted');
    expect(late.raw?.id).toBe(lateRaw.id);
  });

  it('filters by type, status, source, email and time range, and pages with a cursor', async () => {
    const ids = (p: Page<Summary>) => p.data.map((e) => e.id);
    expect(ids(await feed(a.key, '?status=rejected'))).toEqual([rejected.id]);
    expect(ids(await feed(a.key, '?status=duplicate'))).toEqual([duplicate.id]);
    expect(ids(await feed(a.key, '?type=purchase'))).toEqual([lateRaw.id, duplicate.id, accepted.id]);
    expect(ids(await feed(a.key, `?sourceId=${rejected.sourceId}`))).toEqual([rejected.id]);
    expect(ids(await feed(a.key, `?email=${encodeURIComponent(emails.accepted.toUpperCase())}`))).toEqual([accepted.id]);
    expect(ids(await feed(a.key, `?email=${encodeURIComponent(emails.duplicate)}`))).toEqual([duplicate.id]);
    const hourAgo = new Date(now.getTime() - HOUR).toISOString();
    expect(ids(await feed(a.key, `?to=${encodeURIComponent(hourAgo)}`))).toEqual([rejected.id]);
    expect(ids(await feed(a.key, `?from=${encodeURIComponent(hourAgo)}&status=accepted`))).toEqual([lateRaw.id, accepted.id]);

    const first = await feed(a.key, '?limit=3');
    expect(first.data).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await feed(a.key, `?limit=3&cursor=${first.nextCursor}`);
    expect(ids(second)).toEqual([rejected.id]);
    expect(second.nextCursor).toBeNull();
    expect((await t.request('GET', '/v1/events?status=bogus', { key: a.key })).statusCode).toBe(400);
    expect((await t.request('GET', '/v1/events?cursor=forged', { key: a.key })).json()).toEqual({ error: { code: 'invalid_cursor', message: expect.any(String) } });
  });

  it("tells an event's story with its deliveries and attempts; another account gets 404", async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint;
    const dlv = newId(IdPrefix.delivery);
    await ds.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at, last_http_status, last_error, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'purchase', '{}', 'exhausted', 2, NULL, 500, 'HTTP 500', now(), now())`,
      [dlv, newId(IdPrefix.message), a.accountId, ep.id, accepted.id],
    );
    await ds.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, response_body, attempted_at)
       VALUES ($1, 1, $2, 'failed', 500, 30, 'HTTP 500', 'oops', now() - interval '1 minute'), ($1, 2, $2, 'exhausted', 500, 25, 'HTTP 500', 'oops', now())`,
      [dlv, ep.id],
    );

    const res = await t.request('GET', `/v1/events/${accepted.id}`, { key: a.key });
    expect(res.statusCode).toBe(200);
    const story = res.json<{ summary: Summary; raw: RawEventDto; canonical: CanonicalEvent; enrichment: unknown; rejection: unknown; duplicate: unknown; deliveries: { id: string; endpointUrl: string; status: string; attemptLog: { attempt: number; outcome: string; responseBody: string }[] }[] }>();
    expect(story.summary).toMatchObject({ id: accepted.id, status: 'accepted', deliveries: { total: 1, succeeded: 0, failed: 1 } });
    expect(story.raw.body).toEqual(accepted.body);
    expect(story.canonical.location.countryCode).toBe('GB');
    expect(story.enrichment).toEqual({ applied: ['location.country'], warnings: [] });
    expect(story.rejection).toBeNull();
    expect(story.deliveries).toEqual([
      expect.objectContaining({ id: dlv, endpointUrl: 'http://127.0.0.1:9/hook', status: 'exhausted', attemptLog: [expect.objectContaining({ attempt: 1, outcome: 'failed', responseBody: 'oops' }), expect.objectContaining({ attempt: 2, outcome: 'exhausted' })] }),
    ]);

    const rej = (await t.request('GET', `/v1/events/${rejected.id}`, { key: a.key })).json<{ rejection: { reasons: unknown[] }; canonical: unknown }>();
    expect(rej.rejection.reasons).toHaveLength(2);
    expect(rej.canonical).toBeNull();
    const dup = (await t.request('GET', `/v1/events/${duplicate.id}`, { key: a.key })).json<{ duplicate: unknown }>();
    expect(dup.duplicate).toEqual({ originalEventId: accepted.id, dedupeKey: 'content:abc' });

    // Another account: the event, the delivery and its retry are all simply not there.
    for (const [method, url] of [['GET', `/v1/events/${accepted.id}`], ['GET', `/v1/deliveries/${dlv}`], ['POST', `/v1/deliveries/${dlv}/retry`], ['GET', `/v1/endpoints/${ep.id}/health`]] as const) {
      const r = await t.request(method, url, { key: b.key });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    expect((await feed(b.key)).data).toEqual([]);
    expect((await t.request('GET', '/v1/deliveries', { key: b.key })).json<Page<unknown>>().data).toEqual([]);

    // Retry now: due at once, per the delivery app's contract (its poll sends it).
    const before = Date.now();
    const retry = await t.request('POST', `/v1/deliveries/${dlv}/retry`, { key: a.key });
    expect(retry.statusCode).toBe(202);
    const [row] = (await ds.query('SELECT status, next_attempt_at FROM deliveries WHERE id = $1', [dlv])) as { status: string; next_attempt_at: Date }[];
    expect(row.status).toBe('failed');
    expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before - 5000);
    expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    // Deliveries list / get, and a replay of the endpoint's deliveries since a time.
    const list = (await t.request('GET', `/v1/deliveries?endpointId=${ep.id}`, { key: a.key })).json<Page<{ id: string; eventId: string }>>();
    expect(list.data).toEqual([expect.objectContaining({ id: dlv, eventId: accepted.id })]);
    expect((await t.request('GET', `/v1/deliveries/${dlv}`, { key: a.key })).json<{ attemptLog: unknown[] }>().attemptLog).toHaveLength(2);
    await ds.query(`UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE id = $1`, [dlv]);
    const replay = await t.request('POST', `/v1/endpoints/${ep.id}/replay`, { key: a.key, body: { since: new Date(before - HOUR).toISOString() } });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ count: 1 });
    const [again] = (await ds.query('SELECT status, next_attempt_at FROM deliveries WHERE id = $1', [dlv])) as { status: string; next_attempt_at: Date | null }[];
    expect(again.status).toBe('failed');
    expect(again.next_attempt_at).not.toBeNull();
    await ds.query(`UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = $1`, [dlv]);
    expect((await t.request('POST', `/v1/deliveries/${dlv}/retry`, { key: a.key })).statusCode).toBe(409);

    const health = (await t.request('GET', `/v1/endpoints/${ep.id}/health`, { key: a.key })).json();
    expect(health).toMatchObject({ enabled: true, disabledReason: null, last24h: { attempts: 2, succeeded: 0, failed: 2 } });
  });

  it('streams a new event of the account over SSE within 1 s, and nothing of another account; with no stream open the tail fetches nothing', async () => {
    const svc = t.app.get(FeedStreamService);
    await waitFor(() => svc.isLive, { timeoutMs: 30000, what: 'the tail consumer to join' });
    // Nobody listens in this process: the tail is paused, and what is published meanwhile is not
    // replayed to the stream that opens later.
    await waitFor(() => svc.tailPaused || undefined, { what: 'the tail to pause with no listener' });
    const early = rawEvent(a.accountId, srcA, new Date(), activly('early@example.com'));
    await publish(Topics.eventsRaw, srcA, early);
    const ctrl = new AbortController();
    const res = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: { authorization: `Bearer ${a.key}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames: string[] = [];
    const reading = (async () => {
      const rd = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await rd.read();
          if (done) return;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            frames.push(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch {
        // aborted
      }
    })();
    await waitFor(() => frames.some((f) => f.startsWith(': connected')), { what: 'the stream to open' });
    expect(svc.tailPaused).toBe(false);

    const other = rawEvent(b.accountId, uniqueName('srcb'), new Date(), activly('x@example.com'));
    await publish(Topics.eventsRaw, other.sourceId, other);
    const mine = rawEvent(a.accountId, srcA, new Date(), activly('y@example.com'));
    const sentAt = Date.now();
    await publish(Topics.eventsRaw, srcA, mine);
    const frame = await waitFor(() => frames.find((f) => f.includes(mine.id)), { timeoutMs: 5000, intervalMs: 10, what: 'the SSE frame of the new event' });
    const latency = Date.now() - sentAt;
    expect(latency).toBeLessThan(1000);
    const lines = frame.split('\n');
    expect(lines[0]).toBe('event: event');
    const summary = JSON.parse(lines[1].replace(/^data: /, '')) as Summary;
    expect(summary).toMatchObject({ id: mine.id, status: 'received', sourceId: srcA });
    // The verdict follows on the same stream.
    await publish(Topics.eventsEnriched, `${a.accountId}:y`, canonicalOf(mine, 'y@example.com'));
    await waitFor(() => frames.find((f) => f.includes(mine.id) && f.includes('"status":"accepted"')), { timeoutMs: 5000, what: 'the accepted frame' });
    expect(frames.some((f) => f.includes(other.id))).toBe(false);
    expect(frames.some((f) => f.includes(early.id))).toBe(false);
    ctrl.abort();
    await reading;
    await waitFor(() => svc.tailPaused || undefined, { what: 'the tail to pause again once the stream closed' });
  });

  it('POST /v1/sources/:id/test-event publishes a sample raw event that lands in the feed', async () => {
    const src = (await t.request('POST', '/v1/sources', { key: a.key, body: { name: 'Shop', dialect: 'activly' } })).json<{ source: { id: string } }>().source;
    const res = await t.request('POST', `/v1/sources/${src.id}/test-event`, { key: a.key });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    const story = await waitFor(async () => {
      const r = await t.request('GET', `/v1/events/${id}`, { key: a.key });
      return r.statusCode === 200 ? r.json<{ raw: RawEventDto; summary: Summary }>() : undefined;
    }, { timeoutMs: 20000, what: 'the test event in the feed' });
    expect(story.summary).toMatchObject({ status: 'received', sourceId: src.id });
    expect(story.raw.headers['user-agent']).toBe('hookstream-dashboard-test');
    expect((await t.request('POST', `/v1/sources/${src.id}/test-event`, { key: b.key })).statusCode).toBe(404);
  });

  it('a 410 from the receiver (delivery-results endpoint_disabled) disables the endpoint and publishes enabled=false', async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://127.0.0.1:9/gone', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint;
    await reader.waitFor(`endpoint:${ep.id}`, (r) => r.value?.['enabled'] === true);
    const result: DeliveryResultDto = {
      deliveryId: newId(IdPrefix.delivery), webhookId: newId(IdPrefix.message), accountId: a.accountId, endpointId: ep.id, eventId: accepted.id, eventType: 'purchase',
      attempt: 1, outcome: 'endpoint_disabled', httpStatus: 410, latencyMs: 7, error: 'HTTP 410', attemptedAt: new Date(Date.now() + 1000).toISOString(),
    };
    await publish(Topics.deliveryResults, ep.id, result);
    const snap = await reader.waitFor(`endpoint:${ep.id}`, (r) => r.value?.['enabled'] === false, 'disabled snapshot');
    expect(snap.value).toMatchObject({ id: ep.id, enabled: false, version: 2 });
    const view = (await t.request('GET', `/v1/endpoints/${ep.id}/health`, { key: a.key })).json();
    expect(view).toMatchObject({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' });
  });

  it('an endpoint failing without a success for 5 days is disabled (Svix rule); a recent failure is not', async () => {
    const mk = async () => (await t.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://127.0.0.1:9/failing', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint.id;
    const [old, fresh] = [await mk(), await mk()];
    const result = (endpointId: string, attemptedAt: Date, outcome: DeliveryResultDto['outcome']): DeliveryResultDto => ({
      deliveryId: newId(IdPrefix.delivery), webhookId: newId(IdPrefix.message), accountId: a.accountId, endpointId, eventId: accepted.id, eventType: 'purchase',
      attempt: 1, outcome, httpStatus: 500, latencyMs: 7, error: 'HTTP 500', attemptedAt: attemptedAt.toISOString(),
    });
    await publish(Topics.deliveryResults, old, result(old, new Date(Date.now() - 6 * 24 * HOUR), 'failed'));
    await publish(Topics.deliveryResults, old, result(old, new Date(), 'failed'));
    await publish(Topics.deliveryResults, fresh, result(fresh, new Date(Date.now() - 6 * 24 * HOUR), 'succeeded'));
    await publish(Topics.deliveryResults, fresh, result(fresh, new Date(Date.now() - 1 * 24 * HOUR), 'failed'));
    await reader.waitFor(`endpoint:${old}`, (r) => r.value?.['enabled'] === false, 'failing endpoint disabled');
    // The rule's own state (endpoint_health, fed by delivery-results): failing for a day only.
    const h = await waitFor(async () => {
      const rows: { failing_since: Date | null; last_success_at: Date | null }[] = await ds.query('SELECT failing_since, last_success_at FROM endpoint_health WHERE endpoint_id = $1', [fresh]);
      return rows[0]?.failing_since ? rows[0] : undefined;
    }, { what: 'health of the recently failing endpoint' });
    expect(h.last_success_at).not.toBeNull();
    expect((await t.request('GET', `/v1/endpoints/${fresh}`, { key: a.key })).json<{ enabled: boolean }>().enabled).toBe(true);
    const oldView = (await t.request('GET', `/v1/endpoints/${old}`, { key: a.key })).json<{ enabled: boolean; disabledReason: string }>();
    expect(oldView.enabled).toBe(false);
    expect(oldView.disabledReason).toMatch(/failed continuously for 5 day/);
  });

  it('send sample data is proxied to the delivery service with the internal token', async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://127.0.0.1:9/sample', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint;
    const res = await t.request('POST', `/v1/endpoints/${ep.id}/sample`, { key: a.key, body: { eventType: 'contact.tag_added' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ outcome: 'succeeded', httpStatus: 204, latencyMs: 12, error: null });
    const call = sampleCalls[sampleCalls.length - 1];
    expect(call.url).toBe(`/internal/v1/endpoints/${ep.id}/sample`);
    expect(JSON.parse(call.body)).toEqual({ eventType: 'contact.tag_added' });
    expect(call.token).toBe(createHmac('sha256', Buffer.from(t.config.SECRETS_KEY, 'base64')).update('internal').digest('hex'));
    expect((await t.request('POST', `/v1/endpoints/${ep.id}/sample`, { key: b.key, body: { eventType: 'purchase' } })).statusCode).toBe(404);
  });

  it('retention drops partitions older than FEED_RETENTION_DAYS and creates the coming days', async () => {
    const partitions = t.app.get(FeedPartitionsService);
    const oldDay = utcDay(new Date(Date.now() - (TEST_FEED_PROJECTION.FEED_RETENTION_DAYS + 3) * 24 * HOUR));
    await partitions.ensureDays([oldDay]);
    const oldId = newId(IdPrefix.event);
    await ds.query(`INSERT INTO feed_events (id, account_id, source_id, status, received_at) VALUES ($1, $2, 's', 'received', $3)`, [oldId, a.accountId, `${oldDay}T12:00:00Z`]);
    expect(await partitions.listPartitions()).toContain(partitionName(oldDay));

    const { dropped } = await partitions.maintain();
    expect(dropped).toContain(partitionName(oldDay));
    const names = await partitions.listPartitions();
    expect(names).not.toContain(partitionName(oldDay));
    for (let i = 0; i <= TEST_FEED_PROJECTION.FEED_PARTITIONS_AHEAD_DAYS; i++) expect(names).toContain(partitionName(utcDay(new Date(Date.now() + i * 24 * HOUR))));
    // A day still inside retention is kept.
    expect(names).toContain(partitionName(utcDay(new Date(Date.now() - 2 * HOUR))));
    expect(await ds.query('SELECT 1 FROM feed_events WHERE id = $1', [oldId])).toHaveLength(0);
  });
  it('shows an event once when it comes again with the same id and a later received_at (a retry with the same Idempotency-Key)', async () => {
    const c = await t.newAccount();
    const src = uniqueName('src').replace(/-/g, '_');
    const email = `${uniqueName('retry')}@example.com`;
    // First seen yesterday (another daily partition), retried now: the gateway derived the same id from source + key.
    const key = uniqueName('key');
    const first: RawEventDto = { ...rawEvent(c.accountId, src, new Date(now.getTime() - 25 * HOUR), activly(email)), id: stableId(IdPrefix.event, 'idempotency-key', src, key), idempotencyKey: key };
    const retry: RawEventDto = { ...first, receivedAt: new Date(now.getTime() - HOUR).toISOString() };
    const sentinel = rawEvent(c.accountId, src, now, activly(email));
    const enrichedKey = `${c.accountId}:${email}`;
    await publish(Topics.eventsRaw, src, first);
    await publish(Topics.eventsEnriched, enrichedKey, canonicalOf(first, email));
    await waitFor(async () => {
      const rows: { status: string }[] = await ds.query('SELECT status FROM feed_events WHERE id = $1', [first.id]);
      return rows[0]?.status === 'accepted' ? true : undefined;
    }, { timeoutMs: 30000, what: 'the first delivery of the event to be in the feed' });
    // The validator processes the retry again (a redelivery for it, not a duplicate).
    await publish(Topics.eventsRaw, src, retry);
    await publish(Topics.eventsEnriched, enrichedKey, canonicalOf(retry, email));
    // Same keys, so the same Kafka partitions: once the sentinel is in, the retry has been consumed.
    await publish(Topics.eventsRaw, src, sentinel);
    await publish(Topics.eventsEnriched, enrichedKey, canonicalOf(sentinel, email));
    await waitFor(async () => {
      const rows: { status: string; has_raw: boolean }[] = await ds.query('SELECT status, raw IS NOT NULL AS has_raw FROM feed_events WHERE id = $1', [sentinel.id]);
      return rows[0]?.status === 'accepted' && rows[0].has_raw ? true : undefined;
    }, { timeoutMs: 30000, what: 'the sentinel event, published after the retry, to be in the feed' });

    const rows: { received_at: Date; status: string }[] = await ds.query('SELECT received_at, status FROM feed_events WHERE id = $1', [first.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('accepted');
    expect(rows[0].received_at.toISOString()).toBe(first.receivedAt);
    const page = await feed(c.key);
    expect(page.data.map((e) => e.id)).toEqual([sentinel.id, first.id]);
  });

  it('holds a raw row for its verdict: nothing is written before it, then ONE row with both; a raw event without a verdict is written once its hold is up', async () => {
    const c = await t.newAccount();
    const writer = t.app.get(FeedWriterService);
    const src = uniqueName('src').replace(/-/g, '_');
    const email = `${uniqueName('held')}@example.com`;
    const withVerdict = rawEvent(c.accountId, src, new Date(), activly(email));
    const alone = rawEvent(c.accountId, src, new Date(Date.now() + 1), activly(email));
    const rowsOf = async (): Promise<{ id: string; status: string; has_raw: boolean }[]> =>
      ds.query('SELECT id, status, raw IS NOT NULL AS has_raw FROM feed_events WHERE account_id = $1 ORDER BY id', [c.accountId]);
    await publish(Topics.eventsRaw, src, withVerdict);
    await waitFor(() => writer.holds(withVerdict.id) || undefined, { what: 'the consumed raw row to be held' });
    expect(writer.heldRows).toBeGreaterThan(0);
    expect(await rowsOf()).toEqual([]);
    await publish(Topics.eventsEnriched, `${c.accountId}:${email}`, canonicalOf(withVerdict, email));
    await waitFor(async () => ((await rowsOf()).length === 1 ? true : undefined), { what: 'the held row written with its verdict' });
    expect(await rowsOf()).toEqual([{ id: withVerdict.id, status: 'accepted', has_raw: true }]);

    const sentAt = Date.now();
    await publish(Topics.eventsRaw, src, alone);
    await waitFor(async () => ((await rowsOf()).length === 2 ? true : undefined), { what: 'the raw row without a verdict' });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(TEST_PROJECTOR.FEED_RAW_HOLD_MS - 50);
    expect((await rowsOf()).find((r) => r.id === alone.id)).toEqual({ id: alone.id, status: 'received', has_raw: true });
  });

  it('a raw event PostgreSQL refuses (\\u0000 in its body) goes to events.raw.dlq alone; another topic\'s verdict written with it lands', async () => {
    const c = await t.newAccount();
    const src = uniqueName('src').replace(/-/g, '_');
    const email = `${uniqueName('nul')}@example.com`;
    const bad = rawEvent(c.accountId, src, now, { ...activly(email), note: 'a\u0000b' });
    const good = rawEvent(c.accountId, src, new Date(now.getTime() + 1), activly(email));
    const dlq = dlqOf(Topics.eventsRaw);
    const admin = testKafka(uniqueName('feed-nul-admin')).admin();
    await admin.connect();
    const start = await admin.fetchTopicOffsets(dlq);
    await admin.disconnect();
    // Published together, so the transport may hand both topics' batches to the writer in one turn (one statement).
    await Promise.all([publish(Topics.eventsRaw, src, bad), publish(Topics.eventsEnriched, `${c.accountId}:${email}`, canonicalOf(good, email))]);
    const found: string[] = [];
    const r = testKafka(uniqueName('feed-nul-reader')).consumer({ groupId: uniqueName('feed-nul-reader'), maxWaitTimeInMs: 100 });
    await r.connect();
    try {
      await r.subscribe({ topics: [dlq] });
      await r.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString().includes(bad.id)) found.push(bad.id);
        },
      });
      for (const o of start) r.seek({ topic: dlq, partition: o.partition, offset: o.high });
      await waitFor(() => found.length > 0 || undefined, { timeoutMs: 30_000, what: 'the raw event PostgreSQL refuses on events.raw.dlq' });
    } finally {
      await r.disconnect();
    }
    const rows: { id: string; status: string }[] = await ds.query('SELECT id, status FROM feed_events WHERE account_id = $1', [c.accountId]);
    expect(rows).toEqual([{ id: good.id, status: 'accepted' }]);
  });
});
