import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import { configKey, Topics, type RawEventDto, type SourceSnapshot } from '@hookstream/contracts';
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { hashToken, newSourceToken, newWebhookSecret, SecretBox, signatureHeader, signHmacHex } from '@hookstream/webhooks';
import type { FastifyInstance } from 'fastify';
import type { Consumer, Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../src/app.module';
import { GatewayConfig } from '../src/gateway.config';
import { registerBodyParsers } from '../src/hooks/body-parsers';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };

/** The real gateway module, in-process, against the real broker; requests through Fastify's inject. */
describe('ingest-gateway on the real broker', () => {
  const secretsKey = randomBytes(32).toString('base64');
  const box = SecretBox.fromBase64Key(secretsKey);
  const token = newSourceToken();
  const swSecret = newWebhookSecret();
  const hmacSecret = 'It is a secret to everybody';
  const ids = { plain: uniqueName('src'), sw: uniqueName('src'), hmac: uniqueName('src'), limited: uniqueName('src') };
  let app: NestFastifyApplication;
  let http: FastifyInstance;
  let producer: Producer;
  let consumer: Consumer;
  const seen = new Map<string, RawEventDto>();

  function source(id: string, extra: Partial<SourceSnapshot> = {}): SourceSnapshot {
    return {
      kind: 'source', id, accountId: 'acc_gw_test', name: id, dialect: 'activly', enabled: true,
      tokens: [{ hash: hashToken(token), expiresAt: null }], signature: { kind: 'none' }, dedupe: null,
      rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version: 1, updatedAt: new Date().toISOString(), ...extra,
    };
  }

  beforeAll(async () => {
    const kafka = testKafka();
    producer = kafka.producer();
    await producer.connect();
    const snapshots = [
      source(ids.plain),
      source(ids.sw, { signature: { kind: 'standard-webhooks', secretEnc: box.seal(swSecret) } }),
      source(ids.hmac, { signature: { kind: 'hmac-sha256-hex', secretEnc: box.seal(hmacSecret), header: 'X-Hub-Signature-256', prefix: 'sha256=' } }),
      source(ids.limited, { rateLimitPerSecond: 1 }),
    ];
    const config = loadConfig(GatewayConfig, {
      KAFKA_BROKERS: testBrokers().join(','), SECRETS_KEY: secretsKey, LOG_LEVEL: 'silent', MAX_BODY_BYTES: '2048',
      BATCH_MAX_EVENTS: '3', PRODUCE_TIMEOUT_MS: '3000', RATE_LIMIT_BURST_SECONDS: '1',
    });
    // Topics exist before the first publish (the app ensures them too, this keeps the order obvious).
    app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter({ bodyLimit: 1024 * 1024 }), { logger: false, bodyParser: false });
    await producer.send({ topic: Topics.config, acks: -1, messages: snapshots.map((s) => ({ key: configKey('source', s.id), value: JSON.stringify(s) })) });
    registerBodyParsers(app.getHttpAdapter().getInstance(), 1024 * 1024);
    await app.init();
    http = app.getHttpAdapter().getInstance();
    await http.ready();
    consumer = kafka.consumer({ groupId: uniqueName('gw-test') });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.eventsRaw], fromBeginning: false });
    await consumer.run({ eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as RawEventDto;
      seen.set(v.id, v);
    } });
    // The source cache is fed by the config topic; wait until it knows our sources.
    await waitFor(async () => (await post(ids.plain, ACTIVLY, { dry: true })).statusCode === 200 || undefined, { what: 'source cache' });
  }, 60_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
  });

  function post(id: string, body: unknown, o: { dry?: boolean; headers?: Record<string, string>; raw?: string; query?: string; batch?: boolean } = {}) {
    const q = o.query ?? `token=${encodeURIComponent(token)}${o.dry ? '&dry_run=true' : ''}`;
    return http.inject({
      method: 'POST',
      url: `/v1/hooks/${id}${o.batch ? '/batch' : ''}?${q}`,
      headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
      payload: o.raw ?? JSON.stringify(body),
    });
  }

  it('202 with an evt_ id only once Kafka has the event, which then is on events.raw with its headers', async () => {
    const r = await post(ids.plain, ACTIVLY, { headers: { 'idempotency-key': 'order-42' } });
    expect(r.statusCode).toBe(202);
    const { id } = r.json<{ id: string }>();
    expect(id).toMatch(/^evt_/);
    const raw = await waitFor(() => seen.get(id), { what: 'event on events.raw' });
    expect(raw).toMatchObject({ sourceId: ids.plain, accountId: 'acc_gw_test', dialect: 'activly', idempotencyKey: 'order-42', body: ACTIVLY });
    expect(JSON.stringify(raw.headers)).not.toContain(token);
  });

  it('accepts the token as a Bearer header too', async () => {
    const r = await post(ids.plain, ACTIVLY, { query: '', headers: { authorization: `Bearer ${token}` } });
    expect(r.statusCode).toBe(202);
  });

  it('parses form bodies with bracket keys into nested objects, without prototype pollution', async () => {
    const r = await http.inject({
      method: 'POST', url: `/v1/hooks/${ids.plain}?token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'type=subscribe&contact[email]=jane%40example.com&contact[fields][plan]=pro&__proto__[polluted]=yes',
    });
    expect(r.statusCode).toBe(202);
    const raw = await waitFor(() => seen.get(r.json<{ id: string }>().id), { what: 'form event' });
    expect(raw.body).toEqual({ type: 'subscribe', contact: { email: 'jane@example.com', fields: { plan: 'pro' } } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('dry_run answers with the canonical event or the reasons and publishes nothing', async () => {
    const ok = await post(ids.plain, ACTIVLY, { dry: true });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ valid: true, event: { type: 'purchase', person: { firstName: 'Sarah' }, product: { name: 'Running Shoes' } } });
    const bad = await post(ids.plain, { ...ACTIVLY, event: 'refund', timestamp: 'yesterday' }, { dry: true });
    expect(bad.statusCode).toBe(200);
    const reasons = bad.json<{ valid: boolean; reasons: { path: string; rule: string }[] }>();
    expect(reasons.valid).toBe(false);
    expect(reasons.reasons.map((x) => x.path).sort()).toEqual(['event', 'timestamp']);
  });

  it('batch: 202 with one id per event; limits on count', async () => {
    const r = await post(ids.plain, [ACTIVLY, ACTIVLY], { batch: true });
    expect(r.statusCode).toBe(202);
    const { ids: got } = r.json<{ ids: string[] }>();
    expect(got).toHaveLength(2);
    await waitFor(() => got.every((i) => seen.has(i)) || undefined, { what: 'batch on events.raw' });
    const tooMany = await post(ids.plain, [ACTIVLY, ACTIVLY, ACTIVLY, ACTIVLY], { batch: true });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ error: { code: 'too_many_events' } });
  });

  describe('the status/code table', () => {
    const cases: [string, () => Promise<{ statusCode: number; json: <T>() => T; headers: Record<string, unknown> }>, number, string][] = [
      ['bad JSON', () => post(ids.plain, null, { raw: '{"event": "purchase",' }), 400, 'invalid_json'],
      ['not an object', () => post(ids.plain, [1, 2]), 400, 'invalid_body'],
      ['wrong content type', () => post(ids.plain, null, { raw: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
      ['oversize', () => post(ids.plain, { ...ACTIVLY, pad: 'x'.repeat(4096) }), 413, 'payload_too_large'],
      ['bad token', () => post(ids.plain, ACTIVLY, { query: 'token=hst_nope' }), 401, 'unauthorized'],
      ['unknown source', () => post('src_unknown', ACTIVLY), 401, 'unauthorized'],
      ['no token', () => post(ids.plain, ACTIVLY, { query: '' }), 401, 'unauthorized'],
      ['bad Standard Webhooks signature', () => post(ids.sw, ACTIVLY, { headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' } }), 401, 'invalid_signature'],
      ['stale Standard Webhooks timestamp', () => {
        const ts = Math.floor(Date.now() / 1000) - 600;
        const body = JSON.stringify(ACTIVLY);
        return post(ids.sw, null, { raw: body, headers: { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader('msg_2', ts, body, [swSecret]) } });
      }, 401, 'stale_signature'],
      ['missing HMAC header', () => post(ids.hmac, ACTIVLY), 401, 'invalid_signature'],
    ];
    it.each(cases.map(([n, run, status, code]) => [`${n} → ${status} ${code}`, run, status, code] as const))('%s', async (_name, run, status, code) => {
      const r = await run();
      expect(r.statusCode).toBe(status);
      expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
    });

    it('a valid Standard Webhooks signature and a valid GitHub-style HMAC are accepted', async () => {
      const ts = Math.floor(Date.now() / 1000);
      const body = JSON.stringify(ACTIVLY);
      const sw = await post(ids.sw, null, { raw: body, headers: { 'webhook-id': 'msg_3', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader('msg_3', ts, body, [swSecret]) } });
      expect(sw.statusCode).toBe(202);
      const gh = await post(ids.hmac, null, { raw: body, headers: { 'x-hub-signature-256': signHmacHex(body, hmacSecret, 'sha256=') } });
      expect(gh.statusCode).toBe(202);
    });

    it('rate limited → 429 rate_limited with Retry-After', async () => {
      const first = await post(ids.limited, ACTIVLY);
      expect(first.statusCode).toBe(202);
      const second = await post(ids.limited, ACTIVLY);
      expect(second.statusCode).toBe(429);
      expect(second.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });
  });
});
