import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import { configKey, Topics, type RawEventDto, type SourceSnapshot } from '@hookstream/contracts';
import { acFormBody, AC_EVENTS, AC_FIELDS } from '@hookstream/dialects';
import { createApp } from '@hookstream/platform';
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { hashToken, newSourceToken } from '@hookstream/webhooks';
import type { Consumer, Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { AppModule } from '../src/app.module';
import { GatewayConfig } from '../src/gateway.config';
import { bodyLimitBytes, configureGatewayHttp, gatewayFastifyOptions } from '../src/hooks/hooks.http';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2500;

/**
 * The gateway built as main.ts builds it (platform createApp with the gateway's Fastify options and
 * the default TRUST_PROXY), on the real broker: slow and unauthenticated clients, record sizes,
 * deep JSON, ids from Idempotency-Key.
 */
describe('ingest-gateway limits on the real broker', () => {
  const token = newSourceToken();
  const ids = { plain: uniqueName('src'), ac: uniqueName('src'), other: uniqueName('src') };
  let app: NestFastifyApplication;
  let port: number;
  let producer: Producer;
  let consumer: Consumer;
  const seen = new Map<string, RawEventDto>();

  function source(id: string, extra: Partial<SourceSnapshot> = {}): SourceSnapshot {
    return {
      kind: 'source', id, accountId: 'acc_gw_limits', name: id, dialect: 'activly', enabled: true,
      tokens: [{ hash: hashToken(token), expiresAt: null }], signature: { kind: 'none' }, dedupe: null,
      rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version: 1, updatedAt: new Date().toISOString(), ...extra,
    };
  }

  beforeAll(async () => {
    const kafka = testKafka();
    producer = kafka.producer();
    await producer.connect();
    const config = loadConfig(GatewayConfig, {
      KAFKA_BROKERS: testBrokers().join(','), SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent',
      MAX_BODY_BYTES: '8192', BATCH_MAX_BYTES: '65536', BATCH_MAX_EVENTS: '10', MAX_RECORD_BYTES: '4096',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    expect(config.TRUST_PROXY).toBe('');
    await producer.send({
      topic: Topics.config,
      acks: -1,
      messages: [source(ids.plain), source(ids.ac, { dialect: 'activecampaign' }), source(ids.other)].map((s) => ({ key: configKey('source', s.id), value: JSON.stringify(s) })),
    });
    app = await createApp({
      appName: 'ingest-gateway', module: AppModule.register(config), config, logger: false,
      bodyLimitBytes: bodyLimitBytes(config), bodyParser: false, fastify: gatewayFastifyOptions(config),
      configure: (a) => configureGatewayHttp(a, config),
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    consumer = kafka.consumer({ groupId: uniqueName('gw-limits') });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.eventsRaw], fromBeginning: false });
    await consumer.run({ eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as RawEventDto;
      seen.set(`${v.id}@${v.receivedAt}`, v);
      seen.set(v.id, v);
    } });
    await waitFor(async () => (await post(ids.plain, ACTIVLY, { dry: true })).status === 200 || undefined, { what: 'source cache' });
  }, 60_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
  });

  async function post(id: string, body: unknown, o: { dry?: boolean; headers?: Record<string, string>; raw?: string; query?: string; batch?: boolean } = {}) {
    const q = o.query ?? `token=${encodeURIComponent(token)}${o.dry ? '&dry_run=true' : ''}`;
    const r = await fetch(`http://127.0.0.1:${port}/v1/hooks/${id}${o.batch ? '/batch' : ''}?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
      body: o.raw ?? JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> & { id?: string; ids?: string[]; error?: { code: string; message: string; items?: { index: number; bytes: number }[] } }, headers: r.headers };
  }

  /** A raw connection: what the server sent, when it closed (ms after open), and what the client got to write. */
  function rawClient() {
    const s: Socket = connect(port, '127.0.0.1');
    const t0 = Date.now();
    const state = { text: '', closedAfterMs: -1 };
    s.on('data', (d) => { state.text += d.toString('latin1'); });
    s.on('error', () => undefined);
    s.on('close', () => { state.closedAfterMs = Date.now() - t0; });
    return { s, state, t0 };
  }
  const head = (path: string, headers: Record<string, string>) => `POST ${path} HTTP/1.1\r\nHost: t\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  describe('unauthenticated requests cost no body reading', () => {
    const FIVE_MIB = 5 * 1024 * 1024;
    const cases: [string, () => string][] = [
      ['unknown source, single', () => `/v1/hooks/src_nope?token=${encodeURIComponent(token)}`],
      ['wrong token, single', () => `/v1/hooks/${ids.plain}?token=hst_wrong`],
      ['no token, batch', () => `/v1/hooks/${ids.plain}/batch`],
      ['unknown source, bearer, batch', () => `/v1/hooks/src_nope/batch`],
    ];
    it.each(cases)('%s: a 5 MiB body is answered 401 after its first 64 KiB, and the connection is closed', async (_name, path) => {
      const { s, state } = rawClient();
      s.write(head(path(), { 'content-type': 'application/json', 'content-length': String(FIVE_MIB), authorization: 'Bearer hst_wrong' }));
      s.write(Buffer.alloc(64 * 1024, 0x20));
      await waitFor(() => state.text.includes('\r\n\r\n') || undefined, { timeoutMs: 3000, what: '401 answer' });
      expect(state.text).toMatch(/^HTTP\/1\.1 401 /);
      expect(state.text).toMatch(/^connection: close$/im);
      expect(state.text).toContain('"code":"unauthorized"');
      // The rest of the body is never wanted: the server has closed the connection.
      await waitFor(() => state.closedAfterMs >= 0 || undefined, { timeoutMs: 3000, what: 'connection closed' });
      s.destroy();
    });
  });

  describe('slow clients are cut off in bounded time', () => {
    it('slow headers (one header line every 200 ms): 408 and closed within HTTP_HEADERS_TIMEOUT_MS (+ the check interval)', async () => {
      const { s, state } = rawClient();
      s.write(`POST /v1/hooks/${ids.plain}?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: t\r\n`);
      for (let i = 0; i < 40 && state.closedAfterMs < 0; i++) {
        s.write(`x-drip-${i}: ${i}\r\n`);
        await sleep(200);
      }
      expect(state.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(state.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
      expect(state.text).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('a slow-drip body (one byte every 200 ms) from an authenticated sender: closed within HTTP_REQUEST_TIMEOUT_MS (+ the check interval)', async () => {
      const { s, state } = rawClient();
      s.write(head(`/v1/hooks/${ids.plain}?token=${encodeURIComponent(token)}`, { 'content-type': 'application/json', 'content-length': '200' }));
      for (let i = 0; i < 60 && state.closedAfterMs < 0; i++) {
        s.write(i === 0 ? '{' : ' ');
        await sleep(200);
      }
      expect(state.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(state.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
      expect(state.text).toMatch(/^HTTP\/1\.1 408 /);
      // The gateway still serves others.
      expect((await post(ids.plain, ACTIVLY, { dry: true })).status).toBe(200);
    });
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: the client IP is the peer address', async () => {
    const r = await post(ids.plain, ACTIVLY, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(r.status).toBe(202);
    const raw = await waitFor(() => seen.get(r.json.id!), { what: 'event on events.raw' });
    expect(raw.clientIp).toBe('127.0.0.1');
  });

  describe('record size (MAX_RECORD_BYTES = 4096 here)', () => {
    it('a single event whose record would be too large is 413 record_too_large, and nothing is stored', async () => {
      const marker = uniqueName('big');
      const r = await post(ids.plain, { ...ACTIVLY, marker, pad: 'x'.repeat(5000) });
      expect(r.status).toBe(413);
      expect(r.json.error).toEqual({ code: 'record_too_large', message: expect.stringMatching(/becomes a \d+-byte record; at most 4096 bytes fit/) });
      const sentinel = await post(ids.plain, ACTIVLY);
      await waitFor(() => seen.get(sentinel.json.id!), { what: 'sentinel' });
      expect([...seen.values()].some((v) => (v.body as Record<string, unknown>)['marker'] === marker)).toBe(false);
    });

    it('a batch names each item that is too large (413, items with index and size) and stores none of it', async () => {
      const marker = uniqueName('batch');
      const small = { ...ACTIVLY, marker };
      const big = { ...ACTIVLY, marker, pad: 'y'.repeat(5000) };
      const r = await post(ids.plain, [small, big, small, big], { batch: true });
      expect(r.status).toBe(413);
      expect(r.json.error?.code).toBe('record_too_large');
      expect(r.json.error?.items?.map((i) => i.index)).toEqual([1, 3]);
      expect(r.json.error?.items?.every((i) => i.bytes > 4096)).toBe(true);
      expect(r.json.error?.message).toMatch(/2 batch item\(s\) become records over 4096 bytes: 1 \(\d+ bytes\), 3 \(\d+ bytes\)\. Nothing was stored/);
      const sentinel = await post(ids.plain, ACTIVLY);
      await waitFor(() => seen.get(sentinel.json.id!), { what: 'sentinel' });
      expect([...seen.values()].some((v) => (v.body as Record<string, unknown>)['marker'] === marker)).toBe(false);
      const ok = await post(ids.plain, [small, small], { batch: true });
      expect(ok.status).toBe(202);
    });
  });

  describe('deep JSON', () => {
    const nest = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    it('32 levels are accepted; 33, 1,200 and 7,000 levels are 400 too_deep (never a RangeError / 500)', async () => {
      const ok = await post(ids.plain, null, { raw: `{"event":"purchase","attributes":${nest(31)}}` });
      expect(ok.status).toBe(202);
      for (const raw of [`{"attributes":${nest(32)}}`, `{"attributes":${nest(1200)}}`, '['.repeat(7000)]) {
        for (const dry of [false, true]) {
          const r = await post(ids.plain, null, { raw, dry });
          expect([r.status, r.json.error?.code]).toEqual([400, 'too_deep']);
        }
      }
      // A batch's array is its own level: each item still gets 32.
      expect((await post(ids.plain, null, { raw: `[{"event":"purchase","attributes":${nest(31)}}]`, batch: true })).status).toBe(202);
      expect((await post(ids.plain, null, { raw: `[{"attributes":${nest(32)}}]`, batch: true })).json.error?.code).toBe('too_deep');
    });
  });

  describe('ids from Idempotency-Key (an ambiguous 503 can be retried)', () => {
    it('the same key on the same source gives the same id; another key or source another; no key a new one each time', async () => {
      const key = uniqueName('order');
      const a = await post(ids.plain, ACTIVLY, { headers: { 'idempotency-key': key } });
      const b = await post(ids.plain, { ...ACTIVLY, first_name: 'Retry' }, { headers: { 'idempotency-key': key } });
      const viaWebhookId = await post(ids.plain, ACTIVLY, { headers: { 'webhook-id': key } });
      const other = await post(ids.other, ACTIVLY, { headers: { 'idempotency-key': key } });
      const otherKey = await post(ids.plain, ACTIVLY, { headers: { 'idempotency-key': `${key}-2` } });
      const n1 = await post(ids.plain, ACTIVLY);
      const n2 = await post(ids.plain, ACTIVLY);
      expect([a, b, viaWebhookId, other, otherKey, n1, n2].map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202, 202]);
      expect(b.json.id).toBe(a.json.id);
      expect(viaWebhookId.json.id).toBe(a.json.id);
      expect(new Set([a.json.id, other.json.id, otherKey.json.id, n1.json.id, n2.json.id]).size).toBe(5);
      const stored = await waitFor(() => seen.get(a.json.id!), { what: 'keyed event' });
      expect(stored).toMatchObject({ idempotencyKey: key, sourceId: ids.plain });
    });

    it('a batch with a key: one id per item, the same ids on a retry, and each item its own dedupe key', async () => {
      const key = uniqueName('batch');
      const first = await post(ids.plain, [ACTIVLY, ACTIVLY, ACTIVLY], { batch: true, headers: { 'idempotency-key': key } });
      const retry = await post(ids.plain, [ACTIVLY, ACTIVLY, ACTIVLY], { batch: true, headers: { 'idempotency-key': key } });
      expect([first.status, retry.status]).toEqual([202, 202]);
      expect(new Set(first.json.ids).size).toBe(3);
      expect(retry.json.ids).toEqual(first.json.ids);
      const items = await Promise.all(first.json.ids!.map((id) => waitFor(() => seen.get(id), { what: id })));
      expect(items.map((i) => i.idempotencyKey)).toEqual([`${key}#0`, `${key}#1`, `${key}#2`]);
    });
  });

  it('an ActiveCampaign form post with numeric custom-field ids is accepted, the ids kept as object keys', async () => {
    for (const type of ['subscribe', 'deal_add', 'account_add']) {
      const e = AC_EVENTS.find((x) => x.type === type)!;
      const r = await fetch(`http://127.0.0.1:${port}/v1/hooks/${ids.ac}?token=${encodeURIComponent(token)}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: acFormBody(e),
      });
      const answer = (await r.json()) as { id: string };
      expect([type, r.status]).toEqual([type, 202]);
      const raw = await waitFor(() => seen.get(answer.id), { what: `${type} on events.raw` });
      if (e.contact) expect((raw.body as { contact: { fields: unknown } }).contact.fields).toEqual(AC_FIELDS);
    }
  });
});
