import { randomBytes } from 'node:crypto';
import { waitFor } from '@hookstream/testing';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { Pipeline } from './support/pipeline';
import { Receiver } from './support/receiver';

interface Demo {
  sourceUrl: string;
}

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** The span's ancestors, nearest first, as far as they were received. */
function ancestors(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p);
  return out;
}

/**
 * OpenTelemetry end to end: the apps export OTLP (http/json) to a receiver in this process. One
 * webhook posted with a `traceparent` must give one trace, unbroken, from the gateway's request
 * through every Kafka hop to the delivery's outbound HTTP attempt, with PostgreSQL statements.
 */
describe('observability: one trace from the gateway to the delivery attempt (real Kafka + PostgreSQL)', () => {
  const otlp = new OtlpReceiver();
  const receiver = new Receiver();
  let pipeline: Pipeline;
  let demo: Demo;

  beforeAll(async () => {
    const inbox = await receiver.start();
    await otlp.start();
    pipeline = new Pipeline({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
    await pipeline.start();
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stopAll();
    await receiver.stop();
    await otlp.stop();
  });

  it('continues the caller\'s traceparent through validator, enricher, automation and delivery to the outbound attempt', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const body = JSON.stringify({ event: 'purchase', first_name: 'Trace', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: new Date().toISOString() });
    const res = await waitFor(async () => {
      const r = await fetch(demo.sourceUrl, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` }, body });
      return r.status === 202 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'gateway to accept the seeded source' });
    const { id } = (await res.json()) as { id: string };
    const delivered = await waitFor(() => receiver.received.find((r) => r.body.toString().includes(id)), { timeoutMs: 30_000, what: 'the delivery' });
    // The outbound request itself carries the trace (undici instrumentation), so a receiver can join it.
    expect(String(delivered.headers['traceparent'])).toContain(traceId);

    // Each app exports on its own schedule: wait until the outbound call's ancestry is complete.
    const found = await waitFor(() => {
      const t = otlp.trace(traceId);
      const byId = new Map(t.map((s) => [s.spanId, s]));
      const gateway = t.find((s) => s.service === 'hookstream-ingest-gateway' && s.kind === SPAN_KIND.server);
      // The outbound call (undici); PostgreSQL statements are client spans too.
      const client = t.find((s) => s.service === 'hookstream-delivery' && s.kind === SPAN_KIND.client && s.scope.includes('instrumentation-undici'));
      if (!gateway || !client) return undefined;
      const chain = ancestors(client, byId);
      // A PostgreSQL span can arrive before its parent (the consumer span ends, and is exported, after the batch's statements).
      const orphans = t.filter((s) => s.scope.includes('instrumentation-pg') && !byId.has(s.parentSpanId));
      return chain[chain.length - 1] === gateway && orphans.length === 0 ? { spans: t, byId, gateway, chain } : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'an unbroken chain of spans from the delivery attempt\'s HTTP call up to the gateway request, and the parent of every PostgreSQL span' }).catch((err: unknown) => {
      const got = otlp.trace(traceId).map((x) => `${x.service} ${x.name} kind=${x.kind} ${x.spanId}<-${x.parentSpanId}`);
      throw new Error(`${String(err)}\nspans of the trace:\n${got.join('\n')}`);
    });
    const { spans, byId, gateway, chain } = found;
    expect(gateway.parentSpanId).toBe(callerSpan);
    expect(chain[0]).toEqual(expect.objectContaining({ service: 'hookstream-delivery', name: 'delivery attempt' }));
    const hops = chain.filter((s) => s.kind === SPAN_KIND.consumer).map((s) => `${s.service} ${s.name}`).reverse();
    expect(hops).toEqual([
      'hookstream-validator hookstream.events.raw.v1 process',
      'hookstream-enricher hookstream.events.valid.v1 process',
      'hookstream-automation hookstream.events.enriched.v1 process',
      'hookstream-delivery hookstream.deliveries.v1 process',
    ]);
    expect(chain.filter((s) => s.kind === SPAN_KIND.producer).map((s) => s.name).reverse()).toEqual([
      'hookstream.events.raw.v1 publish',
      'hookstream.events.valid.v1 publish',
      'hookstream.events.enriched.v1 publish',
      'hookstream.deliveries.v1 publish',
    ]);

    // PostgreSQL statements are in the trace (dedupe claim, contacts, the delivery rows).
    const pg = spans.filter((s) => s.scope.includes('instrumentation-pg'));
    expect(new Set(pg.map((s) => s.service))).toEqual(expect.objectContaining(new Set(['hookstream-validator', 'hookstream-delivery'])));
    for (const s of pg) expect(byId.has(s.parentSpanId)).toBe(true);
  });
});
