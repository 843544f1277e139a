import { loadConfig } from '@hookstream/config';
import type { RawEventDto, SourceSnapshot } from '@hookstream/contracts';
import type { EventProducer, OutboundMessage, RawJson } from '@hookstream/kafka';
import { SecretBox, signHmacHex } from '@hookstream/webhooks';
import { randomBytes } from 'node:crypto';
import { GatewayConfig } from '../gateway.config';
import { newHookCall, type HookCall, type HookHeaders, type HookKind } from './hook-call';
import { HooksHandler } from './hooks.handler';
import { refusal, source, sourceCacheOf } from './hooks.fixture';
import { IngestMetrics } from './ingest.metrics';
import { IngestService } from './ingest.service';

const SECRETS_KEY = randomBytes(32).toString('base64');
const config = loadConfig(GatewayConfig, {
  LOG_LEVEL: 'silent', SECRETS_KEY, MAX_BODY_BYTES: '4096', BATCH_MAX_BYTES: '16384', BATCH_MAX_EVENTS: '3', MAX_RECORD_BYTES: '4096', RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST_SECONDS: '1',
});
const ACTIVLY = { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' };


/** The handler over the real IngestService, with the source cache and the producer faked. */
function setup(sources: SourceSnapshot[] = [source()]) {
  const cache = sourceCacheOf(sources);
  const sent: OutboundMessage[] = [];
  const producer: EventProducer = { send: async (_topic, messages) => void sent.push(...messages) };
  return { handler: new HooksHandler(new IngestService(cache, producer, config, new IngestMetrics()), config), sent };
}

/** A call as hooks.http.ts builds it, with its body read. */
function call(kind: HookKind, body: unknown, opts: { query?: Record<string, string>; headers?: HookHeaders; raw?: Buffer; sourceId?: string } = {}): HookCall {
  const c = newHookCall({
    kind, sourceId: opts.sourceId ?? 'src_1', query: { token: 'hst_good', ...opts.query },
    headers: { 'content-type': 'application/json', ...opts.headers }, clientIp: '203.0.113.9',
  });
  c.body = body;
  c.rawBody = opts.raw ?? Buffer.from(JSON.stringify(body) ?? '');
  return c;
}


const rawOf = (m: OutboundMessage): RawEventDto => JSON.parse((m.value as RawJson).text) as RawEventDto;

describe('newHookCall', () => {
  const make = (query: Record<string, unknown>, headers: HookHeaders = {}) => newHookCall({ kind: 'single', sourceId: 's', query, headers, clientIp: null });

  it('takes the token from ?token=, else from Authorization: Bearer; a parameter given twice counts as not given', () => {
    expect(make({ token: 'q' }, { authorization: 'Bearer h' }).token).toBe('q');
    expect(make({}, { authorization: 'bearer  h ' }).token).toBe('h');
    expect(make({}, { authorization: 'Basic h' }).token).toBeUndefined();
    expect(make({ token: ['a', 'b'] }).token).toBeUndefined();
  });

  it('reads dry_run as true only for "true" or "1"', () => {
    expect([make({ dry_run: 'true' }), make({ dry_run: '1' }), make({ dry_run: 'yes' }), make({ dry_run: ['true', 'true'] }), make({})].map((c) => c.dryRun))
      .toEqual([true, true, false, false, false]);
  });

  it('parses the media type once: lower case, parameters dropped, "" when absent or invalid', () => {
    expect(make({}, { 'content-type': 'Application/JSON; charset=utf-8' }).mediaType).toBe('application/json');
    expect(make({}, { 'content-type': 'application/x-www-form-urlencoded' }).mediaType).toBe('application/x-www-form-urlencoded');
    expect(make({}, {}).mediaType).toBe('');
    expect(make({}, { 'content-type': 'json' }).mediaType).toBe('');
  });
});

describe('HooksHandler.ingest', () => {
  it('a single event: 202 with its id, once its record is on events.raw keyed by the source', async () => {
    const { handler, sent } = setup();
    const c = call('single', ACTIVLY);
    const answer = await handler.ingest(c);
    expect(sent).toHaveLength(1);
    const raw = rawOf(sent[0]);
    expect(answer).toEqual({ status: 202, body: { id: raw.id } });
    expect(sent[0].key).toBe('src_1');
    expect(raw).toMatchObject({ sourceId: 'src_1', body: ACTIVLY, batch: false, contentType: 'application/json', clientIp: '203.0.113.9' });
    expect(c.dialect).toBe('activly');
  });

  it('a batch: 202 with every id in order; one Idempotency-Key names the batch, each item gets key#index', async () => {
    const { handler, sent } = setup();
    const answer = await handler.ingest(call('batch', [ACTIVLY, { ...ACTIVLY, first_name: 'Ann' }], { headers: { 'idempotency-key': 'k' } }));
    const raws = sent.map(rawOf);
    expect(answer).toEqual({ status: 202, body: { ids: raws.map((r) => r.id) } });
    expect(raws.map((r) => [r.idempotencyKey, r.batch, (r.body as { first_name: string }).first_name])).toEqual([['k#0', true, 'Sarah'], ['k#1', true, 'Ann']]);
  });

  it('dry run: 200 with the verdict (single) or one per item (batch), nothing published', async () => {
    const { handler, sent } = setup();
    const single = await handler.ingest(call('single', ACTIVLY, { query: { dry_run: 'true' } }));
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ valid: true, event: { type: 'purchase', sourceId: 'src_1' } });
    const batch = await handler.ingest(call('batch', [ACTIVLY, { event: 'purchase' }], { query: { dry_run: '1' } }));
    const results = (batch.body as { results: { valid: boolean }[] }).results;
    expect(results.map((r) => r.valid)).toEqual([true, false]);
    expect(sent).toHaveLength(0);
  });

  describe('authentication', () => {
    it('uses the source hooks.http.ts authenticated before reading the body (no second token check)', async () => {
      const { handler, sent } = setup();
      const c = call('single', ACTIVLY, { query: { token: 'hst_wrong' } });
      c.source = source();
      expect((await handler.ingest(c)).status).toBe(202);
      expect(sent).toHaveLength(1);
    });

    it('else authenticates the call itself: a wrong token is 401 and nothing is published', async () => {
      const { handler, sent } = setup();
      const e = await refusal(handler.ingest(call('single', ACTIVLY, { query: { token: 'hst_wrong' } })));
      expect([e.status, e.code]).toEqual([401, 'unauthorized']);
      expect(handler.authenticate(call('single', ACTIVLY)).id).toBe('src_1');
      expect(sent).toHaveLength(0);
    });

    it('checks the signature over the raw bytes before looking at the body', async () => {
      const box = SecretBox.fromBase64Key(SECRETS_KEY);
      const signed = source({ signature: { kind: 'hmac-sha256-hex', secretEnc: box.seal('shh'), header: 'x-sig' } });
      const { handler } = setup([signed]);
      const e = await refusal(handler.ingest(call('single', 'not an object', { headers: { 'x-sig': 'deadbeef' } })));
      expect([e.status, e.code]).toEqual([401, 'invalid_signature']);
      const raw = Buffer.from(JSON.stringify(ACTIVLY));
      expect((await handler.ingest(call('single', ACTIVLY, { raw, headers: { 'x-sig': signHmacHex(raw, 'shh') } }))).status).toBe(202);
    });
  });

  describe('a single event is a batch of one with its own limits', () => {
    it.each([
      ['a body over MAX_BODY_BYTES', () => call('single', ACTIVLY, { raw: Buffer.alloc(4097) }), 413, 'payload_too_large', 'A single event may be at most 4096 bytes; use /batch for more.'],
      ['an array', () => call('single', [ACTIVLY]), 400, 'invalid_body', 'The body must be a JSON object (use /batch for an array of events).'],
      ['no body', () => call('single', undefined, { raw: Buffer.alloc(0) }), 400, 'invalid_body', 'The body must be a JSON object (use /batch for an array of events).'],
      ['a record over MAX_RECORD_BYTES', () => call('single', { ...ACTIVLY, note: 'x'.repeat(3900) }), 413, 'record_too_large', undefined],
    ])('single: %s', async (_what, make, status, code, message) => {
      const { handler, sent } = setup();
      const e = await refusal(handler.ingest(make()));
      expect([e.status, e.code]).toEqual([status, code]);
      if (message) expect(e.message).toBe(message);
      else expect(e.message).toMatch(/^The event becomes a \d+-byte record; at most 4096 bytes fit\. Trim it\.$/);
      expect(sent).toHaveLength(0);
    });

    it.each([
      ['not an array', () => call('batch', ACTIVLY), 400, 'invalid_body', 'A batch body must be a JSON array of event objects.'],
      ['a body over BATCH_MAX_BYTES', () => call('batch', [ACTIVLY], { raw: Buffer.alloc(16385) }), 413, 'payload_too_large', 'A batch may be at most 16384 bytes.'],
      ['empty', () => call('batch', []), 400, 'invalid_body', 'A batch holds 1 to 3 events; this one has 0.'],
      ['over BATCH_MAX_EVENTS', () => call('batch', [ACTIVLY, ACTIVLY, ACTIVLY, ACTIVLY]), 413, 'too_many_events', 'A batch holds 1 to 3 events; this one has 4.'],
      ['an item that is not an object', () => call('batch', [ACTIVLY, ACTIVLY, [1]]), 400, 'invalid_body', 'Batch item 2 is not a JSON object.'],
    ])('batch: %s', async (_what, make, status, code, message) => {
      const { handler, sent } = setup();
      const e = await refusal(handler.ingest(make()));
      expect([e.status, e.code, e.message]).toEqual([status, code, message]);
      expect(sent).toHaveLength(0);
    });

    it('batch: every item whose record is too large is named with its size, and nothing of the batch is stored', async () => {
      const { handler, sent } = setup();
      const big = { ...ACTIVLY, note: 'x'.repeat(3900) };
      const e = await refusal(handler.ingest(call('batch', [big, ACTIVLY, big])));
      expect([e.status, e.code]).toEqual([413, 'record_too_large']);
      const items = (e.details as { items: { index: number; bytes: number }[] }).items;
      expect(items.map((i) => i.index)).toEqual([0, 2]);
      expect(items.every((i) => i.bytes > 4096)).toBe(true);
      expect(e.message).toContain('2 batch item(s) become records over 4096 bytes');
      expect(sent).toHaveLength(0);
    });
  });

  it('rate limit: a batch takes one token per event; over the limit is 429 and nothing is published', async () => {
    const { handler, sent } = setup([source({ rateLimitPerSecond: 2 })]);
    await handler.ingest(call('batch', [ACTIVLY, ACTIVLY]));
    const e = await refusal(handler.ingest(call('single', ACTIVLY)));
    expect([e.status, e.code]).toEqual([429, 'rate_limited']);
    expect(sent).toHaveLength(2);
  });
});
