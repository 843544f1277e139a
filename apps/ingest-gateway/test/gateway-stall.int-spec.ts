import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@hookstream/config';
import { configKey, Topics, type RawEventDto, type SourceSnapshot } from '@hookstream/contracts';
import { CoalescingProducer, EVENT_PRODUCER } from '@hookstream/kafka';
import { KAFKA_CLIENT } from '@hookstream/platform';
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { hashToken, newSourceToken } from '@hookstream/webhooks';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { AppModule } from '../src/app.module';
import { GatewayConfig } from '../src/gateway.config';
import { configureGatewayHttp, gatewayFastifyOptions } from '../src/hooks/hooks.http';

const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };

/**
 * The gateway against a broker that stalls: its Kafka client's sockets (the real broker's) are
 * paused on demand, so requests reach the broker but no answer comes back.
 */
describe('ingest-gateway with its default limits, and while the broker stalls', () => {
  const token = newSourceToken();
  const sourceId = uniqueName('src');
  const sockets: Socket[] = [];
  let stalled = false;
  let app: NestFastifyApplication;
  let port: number;
  let consumer: Consumer;
  const seen: RawEventDto[] = [];
  const MAX_PENDING = 8;

  const stall = () => {
    stalled = true;
    sockets.forEach((s) => s.pause());
  };
  const unstall = () => {
    stalled = false;
    sockets.forEach((s) => s.resume());
  };

  beforeAll(async () => {
    const kafka = testKafka();
    const admin = kafka.producer();
    await admin.connect();
    const snapshot: SourceSnapshot = {
      kind: 'source', id: sourceId, accountId: 'acc_gw_stall', name: sourceId, dialect: 'activly', enabled: true,
      tokens: [{ hash: hashToken(token), expiresAt: null }], signature: { kind: 'none' }, dedupe: null,
      rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version: 1, updatedAt: new Date().toISOString(),
    };
    await admin.send({ topic: Topics.config, acks: -1, messages: [{ key: configKey('source', sourceId), value: JSON.stringify(snapshot) }] });
    await admin.disconnect();

    const config = loadConfig(GatewayConfig, {
      KAFKA_BROKERS: testBrokers().join(','), SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent',
      PRODUCE_TIMEOUT_MS: '1500', RETRY_AFTER_SECONDS: '7', PRODUCER_MAX_PENDING_SENDS: String(MAX_PENDING), KAFKA_CREATE_TOPICS: 'false',
    });
    const stallable = new Kafka({
      clientId: 'it-gateway-stall',
      brokers: testBrokers(),
      connectionTimeout: 1000,
      logLevel: logLevel.NOTHING,
      socketFactory: ({ host, port: p, onConnect }) => {
        const s = connect({ host, port: p }, onConnect);
        sockets.push(s);
        if (stalled) s.pause();
        return s;
      },
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).overrideProvider(KAFKA_CLIENT).useValue(stallable).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ ...gatewayFastifyOptions(config), bodyLimit: 1024 * 1024 }), { logger: false, bodyParser: false });
    configureGatewayHttp(app, config);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;

    consumer = kafka.consumer({ groupId: uniqueName('gw-stall') });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.eventsRaw], fromBeginning: false });
    await consumer.run({ eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as RawEventDto;
      if (v.sourceId === sourceId) seen.push(v);
    } });
    await waitFor(async () => (await post({ dry: true })).status === 200 || undefined, { what: 'source cache' });
  }, 60_000);

  // A failed assertion must not leave the next test with a stalled broker.
  afterEach(() => unstall());

  afterAll(async () => {
    unstall();
    await consumer?.disconnect();
    await app?.close();
  });

  async function post(o: { dry?: boolean; key?: string; body?: unknown } = {}) {
    const t0 = Date.now();
    const r = await fetch(`http://127.0.0.1:${port}/v1/hooks/${sourceId}?token=${encodeURIComponent(token)}${o.dry ? '&dry_run=true' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.key ? { 'idempotency-key': o.key } : {}) },
      body: JSON.stringify(o.body ?? ACTIVLY),
    });
    return { status: r.status, ms: Date.now() - t0, retryAfter: r.headers.get('retry-after'), json: (await r.json()) as { id?: string; error?: { code: string; message: string } } };
  }

  it('an event whose record is just under MAX_RECORD_BYTES (2 MiB) is stored by the real broker; just over is 413 record_too_large, never a 503', async () => {
    const send = async (pad: number) => {
      const r = await fetch(`http://127.0.0.1:${port}/v1/hooks/${sourceId}/batch?token=${encodeURIComponent(token)}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...ACTIVLY, pad: 'p'.repeat(pad) }]),
      });
      return { status: r.status, json: (await r.json()) as { ids?: string[]; error?: { code: string; items?: { index: number; bytes: number }[] } } };
    };
    const RECORD_MAX = 2 * 1024 * 1024;
    const over = await send(RECORD_MAX);
    expect([over.status, over.json.error?.code]).toEqual([413, 'record_too_large']);
    const overhead = over.json.error!.items![0].bytes - RECORD_MAX;
    const fits = await send(RECORD_MAX - overhead - 16);
    expect(fits.status).toBe(202);
    const stored = await waitFor(() => seen.find((e) => e.id === fits.json.ids![0]), { what: 'the 2 MiB event on events.raw' });
    expect(((stored.body as { pad: string }).pad).length).toBe(RECORD_MAX - overhead - 16);
  });

  it('answers 503 overloaded at once past PRODUCER_MAX_PENDING_SENDS, 503 unavailable (may be stored) at the timeout, and the backlog stays bounded', async () => {
    expect((await post()).status).toBe(202);
    stall();
    const producer = app.get<CoalescingProducer>(EVENT_PRODUCER);
    const answers = await Promise.all(Array.from({ length: 40 }, () => post()));
    expect(producer.backlog.pendingSends).toBeLessThanOrEqual(MAX_PENDING);
    const overloaded = answers.filter((a) => a.json.error?.code === 'overloaded');
    const timedOut = answers.filter((a) => a.json.error?.code === 'unavailable');
    expect(overloaded.length + timedOut.length).toBe(40);
    expect(timedOut.length).toBeLessThanOrEqual(MAX_PENDING);
    expect(overloaded.length).toBeGreaterThanOrEqual(40 - MAX_PENDING);
    for (const a of [...overloaded, ...timedOut]) expect([a.status, a.retryAfter]).toEqual([503, '7']);
    // Refused before waiting for Kafka, with nothing stored; the others waited PRODUCE_TIMEOUT_MS and may be.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(median(overloaded.map((a) => a.ms))).toBeLessThan(Math.min(...timedOut.map((a) => a.ms)));
    expect(Math.min(...timedOut.map((a) => a.ms))).toBeGreaterThanOrEqual(1400);
    expect(overloaded[0].json.error?.message).toMatch(/nothing was stored/);
    expect(timedOut[0].json.error?.message).toMatch(/may or may not have been stored.*same Idempotency-Key/);
    expect(producer.backlog).toEqual({ queuedBytes: 0, pendingSends: 0 });
    unstall();
    await waitFor(async () => (await post()).status === 202 || undefined, { what: 'recovery' });
  });

  it('an event answered 503 during the stall and stored afterwards has the id its retry with the same Idempotency-Key gets', async () => {
    const key = uniqueName('order');
    // Let the connection settle from the previous test, then stall with this request on the wire.
    await waitFor(async () => (await post()).status === 202 || undefined, { what: 'healthy' });
    stall();
    const first = await post({ key });
    expect([first.status, first.json.error?.code]).toEqual([503, 'unavailable']);
    unstall();
    const stored = await waitFor(() => seen.find((e) => e.idempotencyKey === key), { what: 'the 503 event stored after all', timeoutMs: 30_000 });
    const retry = await post({ key });
    expect(retry.status).toBe(202);
    expect(retry.json.id).toBe(stored.id);
  });
});
