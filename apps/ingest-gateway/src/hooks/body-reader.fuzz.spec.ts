import fc from 'fast-check';
import { loadConfig } from '@hookstream/config';
import type { SourceSnapshot } from '@hookstream/contracts';
import { acFormBody, AC_EVENTS } from '@hookstream/dialects';
import type { EventProducer } from '@hookstream/kafka';
import { hashToken } from '@hookstream/webhooks';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { GatewayConfig } from '../gateway.config';
import type { SourceCache } from '../config-cache/source.cache';
import { BODY_PARSERS, mediaTypeOf } from './body-parsers';
import { GatewayError, toGatewayError } from './gateway.errors';
import { newHookCall } from './hook-call';
import { HooksHandler } from './hooks.handler';
import { readBody } from './hooks.http';
import { IngestService } from './ingest.service';
import { IngestMetrics } from './ingest.metrics';

// `npm run fuzz` sets FUZZ_RUNS=100000; the unit run uses a few hundred so CI stays fast.
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const TOKEN = 'hst_fuzz';

const config = loadConfig(GatewayConfig, { LOG_LEVEL: 'silent', SECRETS_KEY: randomBytes(32).toString('base64'), MAX_BODY_BYTES: '4096', BATCH_MAX_BYTES: '16384', MAX_RECORD_BYTES: '6000', BATCH_MAX_EVENTS: '20' });
const sources = new Map<string, SourceSnapshot>(['activly', 'provesource', 'activecampaign', 'generic', 'auto'].map((dialect) => [dialect, {
  kind: 'source', id: `src_${dialect}`, accountId: 'acc_fuzz', name: dialect, dialect: dialect as SourceSnapshot['dialect'], enabled: true,
  tokens: [{ hash: hashToken(TOKEN), expiresAt: null }], signature: { kind: 'none' }, dedupe: null, rateLimitPerSecond: 1e6,
  initiatedFrom: 'api', listId: null, version: 1, updatedAt: '2026-01-01T00:00:00Z',
}]));
const cache = { get: (id: string) => sources.get(id.replace(/^src_/, '')) } as unknown as SourceCache;
const producer: EventProducer = { send: async () => undefined };
const handler = new HooksHandler(new IngestService(cache, producer, config, new IngestMetrics()), config);

const ACTIVLY = '{"event":"purchase","first_name":"Sarah","city":"London","country":"UK","product":"Running Shoes","timestamp":"2026-02-28T14:30:00Z","email":"a@b.co"}';
const insert = (text: string) => fc.tuple(fc.nat(10_000), fc.string({ unit: 'binary', maxLength: 8 })).map(([at, junk]) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + junk + text.slice(i);
});
const nest = fc.tuple(fc.nat(3000), fc.constantFrom('[', '{"a":', '{"attributes":')).map(([d, open]) => `${open.repeat(d)}1${(open === '[' ? ']' : '}').repeat(d)}`);
const bodyText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.array(fc.jsonValue(), { maxLength: 6 }).map((v) => JSON.stringify(v)),
  insert(ACTIVLY),
  insert(`[${ACTIVLY},${ACTIVLY}]`),
  fc.constantFrom(...AC_EVENTS).chain((e) => insert(acFormBody(e))),
  nest,
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.stringMatching(/^[a-z0-9_[\]=&%+.]{0,200}$/),
);
const body = fc.oneof({ weight: 4, arbitrary: bodyText.map((t) => Buffer.from(t, 'utf8')) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)) });
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'APPLICATION/JSON', 'text/plain', 'application/json;', '', 'multipart/form-data; boundary=x');
const request = fc.record({
  body,
  contentType,
  lengthHeader: fc.constantFrom('exact', 'none', 'short', 'long'),
  chunks: fc.array(fc.nat(64), { maxLength: 6 }),
  kind: fc.constantFrom('single', 'batch'),
  dialect: fc.constantFrom('activly', 'provesource', 'activecampaign', 'generic', 'auto'),
  dryRun: fc.boolean(),
  idempotencyKey: fc.option(fc.string({ maxLength: 400 })),
});

/** One request through the gateway's own body reader, parsers and rules, as hooks.http.ts runs them. */
type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

async function serve(r: FuzzRequest): Promise<number> {
  const headers: Record<string, string> = { 'content-type': r.contentType };
  if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
  const n = r.body.length;
  if (r.lengthHeader !== 'none') headers['content-length'] = String(r.lengthHeader === 'exact' ? n : r.lengthHeader === 'short' ? Math.max(0, n - 1) : n + 1);
  const req = Object.assign(new PassThrough(), { headers, complete: false });
  const parse = BODY_PARSERS.get(mediaTypeOf(r.contentType) ?? '');
  if (!parse) return 415;
  const limit = r.kind === 'batch' ? config.BATCH_MAX_BYTES : config.MAX_BODY_BYTES;
  const read = readBody(req as unknown as IncomingMessage, limit);
  let at = 0;
  for (const c of r.chunks) {
    if (at >= n) break;
    req.write(r.body.subarray(at, at + c + 1));
    at += c + 1;
  }
  req.end(r.body.subarray(at));
  try {
    const raw = await read;
    const call = newHookCall({ kind: r.kind, sourceId: `src_${r.dialect}`, query: { token: TOKEN, dry_run: r.dryRun ? 'true' : undefined }, headers, clientIp: '203.0.113.1' });
    call.body = parse(raw, r.kind === 'batch' ? 1 : 0);
    call.rawBody = raw;
    const answer = await handler.ingest(call);
    JSON.stringify(answer.body);
    return answer.status;
  } catch (err) {
    const e = toGatewayError(err);
    if (!(err instanceof GatewayError) && e.status >= 500) throw err;
    return e.status;
  }
}

describe(`fuzz: the gateway body reader, parsers and rules (${RUNS} runs)`, () => {
  it('every request is answered 2xx or a 4xx GatewayError: never a crash, never a 500', async () => {
    await fc.assert(fc.asyncProperty(request, async (r) => {
      const status = await serve(r);
      expect([200, 202, 400, 401, 413, 415, 429].includes(status)).toBe(true);
    }), { numRuns: RUNS });
  });
});
