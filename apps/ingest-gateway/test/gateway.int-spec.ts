import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, parseTrustProxy } from '@hookstream/config';
import { configKey, Topics, type RawEventDto, type SourceSnapshot } from '@hookstream/contracts';
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { hashToken, newSourceToken, newWebhookSecret, SecretBox, signatureHeader, signHmacHex } from '@hookstream/webhooks';
import type { FastifyInstance } from 'fastify';
import type { Consumer, Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { GatewayConfig } from '../src/gateway.config';
import { configureGatewayHttp, gatewayFastifyOptions } from '../src/hooks/hooks.http';

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
  let port: number;
  /** Paths a Nest middleware applied to every route saw: the webhook routes must bypass it. */
  const middlewareSaw: string[] = [];
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
      BATCH_MAX_EVENTS: '3', BATCH_MAX_BYTES: '8192', PRODUCE_TIMEOUT_MS: '3000', RATE_LIMIT_BURST_SECONDS: '1', TRUST_PROXY: '127.0.0.1',
    });
    @Module({})
    class MiddlewareProbe implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        consumer.apply((req: { url?: string; originalUrl?: string }, _res: unknown, next: () => void) => {
          middlewareSaw.push(req.originalUrl ?? req.url ?? '');
          next();
        }).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
      }
    }
    // Topics exist before the first publish (the app ensures them too, this keeps the order obvious).
    app = await NestFactory.create<NestFastifyApplication>(
      { module: MiddlewareProbe, imports: [AppModule.register(config)] },
      new FastifyAdapter({ ...gatewayFastifyOptions(config), bodyLimit: 8192, trustProxy: parseTrustProxy(config.TRUST_PROXY) }),
      { logger: false, bodyParser: false },
    );
    await producer.send({ topic: Topics.config, acks: -1, messages: snapshots.map((s) => ({ key: configKey('source', s.id), value: JSON.stringify(s) })) });
    configureGatewayHttp(app, config);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    http = app.getHttpAdapter().getInstance();
    consumer = kafka.consumer({ groupId: uniqueName('gw-test') });
    await consumer.connect();
    // From the beginning: kafkajs resolves a new group's "latest" offset at its first fetch, so a
    // group that joined after the first POST (a slow join on a busy machine) would start past that
    // event. Ids are unique, so other records on the run's events.raw are harmless.
    await consumer.subscribe({ topics: [Topics.eventsRaw], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => {
      let v: RawEventDto;
      try {
        v = JSON.parse(message.value?.toString() ?? '') as RawEventDto;
      } catch {
        return; // another spec's deliberately malformed record
      }
      if (typeof v?.id === 'string') seen.set(v.id, v);
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
      ['token given twice (ambiguous)', () => post(ids.plain, ACTIVLY, { query: 'token=hst_a&token=hst_b' }), 401, 'unauthorized'],
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
  describe('the webhook routes, served before Nest (middleware, body parsers, router)', () => {
    /** Writes `chunks` on one keep-alive connection; resolves with all bytes received and whether the server closed it. */
    function onSocket(chunks: (string | Buffer)[], o: { gapMs?: number; settleMs?: number } = {}): Promise<{ text: string; closed: boolean }> {
      return new Promise((resolve) => {
        const s = connect(port, '127.0.0.1');
        let text = '';
        let closed = false;
        s.on('data', (d) => { text += d.toString('latin1'); });
        s.on('error', () => { closed = true; });
        s.on('close', () => { closed = true; });
        void (async () => {
          for (const c of chunks) {
            if (s.destroyed) break;
            s.write(c);
            if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
          }
        })();
        setTimeout(() => { s.destroy(); resolve({ text, closed }); }, o.settleMs ?? 1500);
      });
    }
    const head = (path: string, headers: Record<string, string>) => `POST ${path} HTTP/1.1\r\nHost: t\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    const dryPath = () => `/v1/hooks/${ids.plain}?token=${encodeURIComponent(token)}&dry_run=true`;
    const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

    it('never runs Nest middleware for them, and still does for every other route', async () => {
      middlewareSaw.length = 0;
      expect((await post(ids.plain, ACTIVLY, { dry: true })).statusCode).toBe(200);
      expect((await post(ids.plain, [ACTIVLY], { dry: true, batch: true })).statusCode).toBe(200);
      expect(middlewareSaw).toEqual([]);
      expect((await http.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect(middlewareSaw).toEqual(['/health/live']);
    });

    it('a body over the byte limit is 413 (announced or streamed), and the connection is closed rather than read to the end', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(9000) });
      const announced = await onSocket([head(dryPath(), { 'content-type': 'application/json', 'content-length': String(big.length) }) + big]);
      expect(statuses(announced.text)).toEqual([413]);
      expect(announced.text).toMatch(/^connection: close$/im);
      expect(announced.text).toContain('{"error":{"code":"payload_too_large","message":"The request body exceeds the size limit."}}');
      expect(announced.closed).toBe(true);
      // Chunked: no Content-Length, so the limit is found while reading — then it stops.
      const chunk = `3e8\r\n${'x'.repeat(1000)}\r\n`;
      const streamed = await onSocket([head(dryPath(), { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }), ...Array.from({ length: 12 }, () => chunk), '0\r\n\r\n'], { gapMs: 20 });
      expect(statuses(streamed.text)).toEqual([413]);
      expect(streamed.closed).toBe(true);
    });

    it('reads a chunked body, and the connection serves the next request', async () => {
      const body = JSON.stringify(ACTIVLY);
      const half = Math.floor(body.length / 2);
      const r = await onSocket([
        head(dryPath(), { 'content-type': 'application/json; charset=utf-8', 'transfer-encoding': 'chunked' }),
        `${half.toString(16)}\r\n${body.slice(0, half)}\r\n`,
        `${(body.length - half).toString(16)}\r\n${body.slice(half)}\r\n0\r\n\r\n`,
        head(dryPath(), { 'content-type': 'application/json', 'content-length': String(body.length) }) + body,
      ], { gapMs: 30 });
      expect(statuses(r.text)).toEqual([200, 200]);
      expect(r.text).toContain('"valid":true');
      expect(r.closed).toBe(false);
    });

    it('415 before reading the body keeps the connection usable', async () => {
      const body = JSON.stringify(ACTIVLY);
      const r = await onSocket([
        head(dryPath(), { 'content-type': 'text/plain', 'content-length': '5' }) + 'hello',
        head(dryPath(), { 'content-type': 'application/json', 'content-length': String(body.length) }) + body,
      ]);
      expect(statuses(r.text)).toEqual([415, 200]);
      expect(r.closed).toBe(false);
    });

    it('an unreadable body closes the connection after the 400 (as Fastify does)', async () => {
      const r = await onSocket([head(dryPath(), { 'content-type': 'application/json', 'content-length': '5' }) + '{"a":']);
      expect(statuses(r.text)).toEqual([400]);
      expect(r.text).toMatch(/^connection: close$/im);
      expect(r.closed).toBe(true);
    });

    it("wrong method, empty id, other paths: Nest's 404, as before", async () => {
      const notFound = { error: { code: 'not_found', message: expect.any(String) } };
      for (const [method, url] of [['GET', `/v1/hooks/${ids.plain}`], ['PUT', `/v1/hooks/${ids.plain}`], ['POST', '/v1/hooks/'], ['POST', '/v1/hooks'], ['POST', '/nope'], ['POST', `/v1/hooks/${ids.plain}/batch/x`]] as const) {
        const r = await http.inject({ method, url: `${url}?token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ACTIVLY) });
        expect([method, url, r.statusCode]).toEqual([method, url, 404]);
        expect(r.json()).toEqual(notFound);
      }
    });

    it('no Content-Type and no body reaches the rules (401 / invalid_body); no Content-Type with a body is 415', async () => {
      expect((await http.inject({ method: 'POST', url: `/v1/hooks/${ids.plain}?token=nope` })).json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect((await http.inject({ method: 'POST', url: `/v1/hooks/${ids.plain}?token=${encodeURIComponent(token)}` })).json()).toMatchObject({ error: { code: 'invalid_body' } });
      const r = await onSocket([head(dryPath(), { 'content-length': '2' }) + '{}']);
      expect(statuses(r.text)).toEqual([415]);
    });

    it('the client IP honours X-Forwarded-For from a proxy TRUST_PROXY names, and the traceparent is carried on', async () => {
      const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const { id } = await new Promise<{ id: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v1/hooks/${ids.plain}?token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', traceparent: tp } }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => { b += d.toString(); });
          res.on('end', () => (res.statusCode === 202 ? resolve(JSON.parse(b) as { id: string }) : reject(new Error(`${res.statusCode} ${b}`))));
        });
        req.on('error', reject);
        req.end(JSON.stringify(ACTIVLY));
      });
      const raw = await waitFor(() => seen.get(id), { what: 'event with client IP' });
      expect(raw.clientIp).toBe('203.0.113.9');
      expect(raw.headers['traceparent']).toBe(tp);
    });
  });
});
