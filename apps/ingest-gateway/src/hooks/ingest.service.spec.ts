import { loadConfig } from '@hookstream/config';
import type { RawEventDto, SourceSnapshot } from '@hookstream/contracts';
import { encodeHeaders, ProducerOverloadedError, ProducerUnavailableError, RawJson, type EventProducer, type OutboundMessage } from '@hookstream/kafka';
import { newWebhookSecret, SecretBox, signatureHeader, signHmacHex } from '@hookstream/webhooks';
import { randomBytes } from 'node:crypto';
import { GatewayConfig } from '../gateway.config';
import { newHookCall, type HookHeaders } from './hook-call';
import { caught, refusal, source, sourceCacheOf } from './hooks.fixture';
import { IngestMetrics } from './ingest.metrics';
import { IngestService } from './ingest.service';

const SECRETS_KEY = randomBytes(32).toString('base64');
const box = SecretBox.fromBase64Key(SECRETS_KEY);
const config = loadConfig(GatewayConfig, { LOG_LEVEL: 'silent', SECRETS_KEY, RATE_LIMIT_PER_SECOND: '5', RATE_LIMIT_BURST_SECONDS: '1', RETRY_AFTER_SECONDS: '7' });


/** Fakes for the source cache and the producer: what the service was given, and what it sent. */
function setup(sources: SourceSnapshot[] = [source()], send: EventProducer['send'] = async () => undefined) {
  const cache = sourceCacheOf(sources);
  const sent: { topic: string; messages: OutboundMessage[] }[] = [];
  const producer: EventProducer = {
    send: async (topic, messages) => {
      await send(topic, messages);
      sent.push({ topic, messages });
    },
  };
  return { service: new IngestService(cache, producer, config, new IngestMetrics()), sent };
}



function call(headers: HookHeaders = { 'content-type': 'application/json' }) {
  return newHookCall({ kind: 'single', sourceId: 'src_1', query: {}, headers, clientIp: '203.0.113.9' });
}

describe('IngestService', () => {
  describe('authenticate', () => {
    const { service } = setup([source(), source({ id: 'src_off', enabled: false })]);

    it('returns the source for its token', () => {
      expect(service.authenticate('src_1', 'hst_good').id).toBe('src_1');
    });

    it.each([
      ['a wrong token', 'src_1', 'hst_bad'],
      ['no token', 'src_1', undefined],
      ['an unknown source', 'src_nope', 'hst_good'],
      ['a disabled source', 'src_off', 'hst_good'],
    ])('answers %s with the same 401', (_what, id, token) => {
      const e = caught(() => service.authenticate(id, token));
      expect([e.status, e.code, e.message]).toEqual([401, 'unauthorized', 'Unknown source or invalid token. Use the webhook URL shown when the source was created (or rotate its token).']);
    });
  });

  describe('verifySignature', () => {
    const body = Buffer.from('{"a":1}');
    const { service } = setup();

    it('lets anything through for a source without a scheme', () => {
      expect(() => service.verifySignature(source(), {}, body)).not.toThrow();
    });

    it('Standard Webhooks: accepts a current signature, 401 stale_signature outside the tolerance, 401 invalid_signature otherwise', () => {
      const secret = newWebhookSecret();
      const s = source({ signature: { kind: 'standard-webhooks', secretEnc: box.seal(secret) } });
      const now = Math.floor(Date.now() / 1000);
      const headers = (ts: number, signed: Buffer = body) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader('msg_1', ts, signed, [secret]) });
      expect(() => service.verifySignature(s, headers(now), body)).not.toThrow();
      expect(caught(() => service.verifySignature(s, headers(now - 600), body)).code).toBe('stale_signature');
      const bad = caught(() => service.verifySignature(s, headers(now, Buffer.from('{"a":2}')), body));
      expect([bad.status, bad.code]).toEqual([401, 'invalid_signature']);
    });

    it('HMAC hex: checks the configured header and prefix over the raw bytes', () => {
      const s = source({ signature: { kind: 'hmac-sha256-hex', secretEnc: box.seal('shh'), header: 'x-hub-signature-256', prefix: 'sha256=' } });
      expect(() => service.verifySignature(s, { 'x-hub-signature-256': signHmacHex(body, 'shh', 'sha256=') }, body)).not.toThrow();
      expect(caught(() => service.verifySignature(s, { 'x-hub-signature-256': signHmacHex(body, 'other', 'sha256=') }, body)).code).toBe('invalid_signature');
      expect(caught(() => service.verifySignature(s, {}, body)).code).toBe('invalid_signature');
    });
  });

  it('rateLimit: the source’s own rate, else the default; 429 with Retry-After once the bucket is empty', () => {
    const { service } = setup();
    const own = source({ id: 'src_own', rateLimitPerSecond: 2 });
    service.rateLimit(own, 2);
    const e = caught(() => service.rateLimit(own, 1));
    expect([e.status, e.code, e.retryAfterSeconds]).toEqual([429, 'rate_limited', 1]);
    expect(e.message).toContain('2 events/s');
    const dflt = source({ id: 'src_default' });
    service.rateLimit(dflt, 5);
    expect(caught(() => service.rateLimit(dflt, 1)).message).toContain('5 events/s');
  });

  describe('toRawEvent', () => {
    const { service } = setup();

    it('keeps only the headers worth keeping, and the call’s media type and client address', () => {
      const raw = service.toRawEvent(source(), call({
        'content-type': 'Application/JSON; charset=utf-8', authorization: 'Bearer hst_good', cookie: 'a=b', 'user-agent': 'x'.repeat(1200), 'x-request-id': 'r1',
      }), { a: 1 });
      expect(raw).toMatchObject({
        accountId: 'acc_1', sourceId: 'src_1', contentType: 'application/json', body: { a: 1 }, clientIp: '203.0.113.9',
        idempotencyKey: null, dialect: 'activly', initiatedFrom: 'api', batch: false, dedupe: null,
      });
      expect(raw.headers).toEqual({ 'user-agent': 'x'.repeat(1000), 'x-request-id': 'r1' });
      expect(raw.id).toMatch(/^evt_/);
    });

    it('derives the id from the source and the Idempotency-Key (webhook-id when absent); batch items get key#index', () => {
      const withKey = call({ 'content-type': 'application/json', 'idempotency-key': 'k1' });
      const a = service.toRawEvent(source(), withKey, {});
      expect(service.toRawEvent(source(), withKey, {}).id).toBe(a.id);
      expect(a.idempotencyKey).toBe('k1');
      expect(service.toRawEvent(source({ id: 'src_2' }), withKey, {}).id).not.toBe(a.id);
      expect(service.toRawEvent(source(), call({ 'webhook-id': 'k1' }), {}).id).toBe(a.id);
      const item = service.toRawEvent(source(), withKey, {}, 3);
      expect([item.idempotencyKey, item.batch]).toEqual(['k1#3', true]);
      expect(item.id).not.toBe(a.id);
    });

    it('a blank key is no key (a new id each time); a long key is cut to 290 characters', () => {
      const blank = call({ 'idempotency-key': '   ' });
      expect(service.toRawEvent(source(), blank, {}).idempotencyKey).toBeNull();
      expect(service.toRawEvent(source(), blank, {}).id).not.toBe(service.toRawEvent(source(), blank, {}).id);
      expect(service.toRawEvent(source(), call({ 'idempotency-key': 'k'.repeat(500) }), {}).idempotencyKey).toBe('k'.repeat(290));
    });
  });

  it('toRecord: keyed by source, CloudEvents envelope, and its byte count is key + value + encoded headers', () => {
    const { service } = setup();
    const raw: RawEventDto = service.toRawEvent(source(), call(), { hello: 'world' });
    const { message, bytes } = service.toRecord(raw, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(message.key).toBe('src_1');
    expect((message.value as RawJson).text).toBe(JSON.stringify(raw));
    expect(message.envelope).toMatchObject({ id: raw.id, type: 'hookstream.event.received', source: '/sources/src_1', time: raw.receivedAt });
    expect(message.envelope?.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    const headerBytes = Object.entries(encodeHeaders(message) ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(bytes).toBe('src_1'.length + Buffer.byteLength(JSON.stringify(raw)) + headerBytes);
  });

  describe('publish', () => {
    it('resolves once the producer has the records on events.raw', async () => {
      const { service, sent } = setup();
      const records = [service.toRecord(service.toRawEvent(source(), call(), {}), undefined).message];
      await service.publish(records);
      expect(sent).toEqual([{ topic: 'hookstream.events.raw.v1', messages: records }]);
    });

    it('a refused send is 503 overloaded (nothing stored); a timed-out one 503 unavailable (retry with the same key); both with Retry-After', async () => {
      const overloaded = await refusal(setup([source()], async () => Promise.reject(new ProducerOverloadedError('full'))).service.publish([]));
      expect([overloaded.status, overloaded.code, overloaded.retryAfterSeconds]).toEqual([503, 'overloaded', 7]);
      expect(overloaded.message).toContain('nothing was stored');
      const unavailable = await refusal(setup([source()], async () => Promise.reject(new ProducerUnavailableError('timeout'))).service.publish([]));
      expect([unavailable.status, unavailable.code, unavailable.retryAfterSeconds]).toEqual([503, 'unavailable', 7]);
      expect(unavailable.message).toContain('same Idempotency-Key');
    });

    it('any other failure is passed on as it is (a 500, never a false 202)', async () => {
      const boom = new Error('boom');
      await expect(setup([source()], async () => Promise.reject(boom)).service.publish([])).rejects.toBe(boom);
    });
  });
});
