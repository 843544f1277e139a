import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { waitFor } from '@hookstream/testing';
import { APPS, Pipeline, ROOT } from './support/pipeline';
import { Prometheus } from './support/prometheus';
import { Receiver } from './support/receiver';

interface Demo {
  sourceUrl: string;
}

const N = 1500;

function activly(i: number): Record<string, unknown> {
  return { event: 'purchase', first_name: `Prom${i}`, city: 'London', country: 'UK', product: 'Running Shoes', timestamp: new Date().toISOString() };
}

/**
 * A real Prometheus (Debian's package) scrapes the seven apps of a running pipeline; PromQL over
 * its HTTP API must see what the pipeline did: requests, delivered webhooks, and consumer lag that
 * rises while a stage is down and falls back to zero once it caught up.
 */
describe('observability: a real Prometheus scrapes the pipeline (real Kafka + PostgreSQL)', () => {
  // Retention every second (validator, delivery), so its gauges are scraped during the run.
  const pipeline = new Pipeline({ RATE_LIMIT_PER_SECOND: '100000', DEDUPE_PURGE_INTERVAL_MS: '1000', DELIVERY_RETENTION_INTERVAL_MS: '1000' });
  const receiver = new Receiver();
  // Created once the pipeline has started: its ports are free ones, chosen then.
  let prom: Prometheus;
  let demo: Demo;

  beforeAll(async () => {
    const inbox = await receiver.start();
    await pipeline.start();
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
    prom = new Prometheus(
      Object.fromEntries(APPS.map((a) => [a, `127.0.0.1:${pipeline.ports[a]}`])),
      // Frequent enough to see a stage's lag while it works off a backlog; as long a timeout, so a
      // slow answer on a loaded machine is still a sample, not a failed scrape (which drops the series).
      '200ms',
      join(pipeline.logDir, 'prometheus.log'),
      // The alert rules shipped for Kubernetes, evaluated against the live pipeline.
      { groups: (parse(readFileSync(join(ROOT, 'k8s/monitoring/prometheus-rule.yaml'), 'utf8')) as { spec: { groups: unknown[] } }).spec.groups },
    );
    await prom.start();
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    await pipeline.stopAll();
    await receiver.stop();
  });

  it('every app answers GET /metrics with Prometheus text, process and Node metrics included', async () => {
    for (const app of APPS) {
      const r = await fetch(pipeline.url(app, '/metrics'));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      expect(text).toMatch(/^# HELP process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      expect(text).toMatch(/^hookstream_producer_messages_total \d+/m);
    }
  });

  it('from the start: every consumer exports lag per partition, and delivery every attempt outcome and final status', async () => {
    const metrics = async (app: (typeof APPS)[number]) => (await fetch(pipeline.url(app, '/metrics'))).text();
    // The gateway produces only; control-api serves the API and runs no grouped consumer (the
    // projector runs the feed writer, endpoint health and the DLQ recorder).
    for (const app of APPS.filter((a) => a !== 'ingest-gateway' && a !== 'control-api')) {
      // Sampled from the broker when the consumer joins its group, then every 10 s.
      await waitFor(async () => (/^hookstream_consumer_lag\{group="[^"]+",topic="hookstream\.[^"]+",partition="\d+"\} \d+$/m.test(await metrics(app)) ? true : undefined), {
        timeoutMs: 15_000, what: `${app} to export hookstream_consumer_lag`,
      });
    }
    const delivery = await metrics('delivery');
    for (const outcome of ['succeeded', 'failed', 'exhausted', 'endpoint_disabled', 'skipped']) {
      expect(delivery).toMatch(new RegExp(`^hookstream_delivery_attempts_total\\{outcome="${outcome}",endpoint=""\\} \\d+$`, 'm'));
    }
    for (const status of ['succeeded', 'exhausted', 'cancelled']) {
      expect(delivery).toMatch(new RegExp(`^hookstream_delivery_deliveries_total\\{status="${status}",endpoint=""\\} \\d+$`, 'm'));
    }
  });

  it('Prometheus scrapes all seven apps, each ready', async () => {
    await waitFor(async () => ((await prom.scalar('count(up == 1)')) === APPS.length ? true : undefined), { timeoutMs: 20_000, what: 'seven targets up' });
    await waitFor(async () => ((await prom.scalar('sum(hookstream_ready)')) === APPS.length ? true : undefined), { timeoutMs: 10_000, what: 'hookstream_ready = 1 on all seven' });
  });

  it('evaluates the shipped alert rules (k8s/monitoring) without errors', async () => {
    const rules = await waitFor(async () => {
      const r = await prom.rules();
      return r.length > 0 && r.every((x) => x.health === 'ok') ? r : undefined;
    }, { timeoutMs: 15_000, what: 'every rule evaluated' });
    expect(rules.filter((r) => r.type === 'alerting').map((r) => r.name).sort()).toEqual([
      'HookstreamAppNotReady', 'HookstreamConsumerLagGrowing', 'HookstreamDeadLetters', 'HookstreamDeliveryFailureRatio', 'HookstreamEndpointDisabled',
      'HookstreamRetentionBehind',
    ]);
  });

  it('sees the validator and delivery run retention: nothing is past its expiry in a fresh database', async () => {
    const seen = await waitFor(async () => {
      const keys = await prom.scalar('count(hookstream_retention_run_duration_seconds_count{table="dedupe_keys",result="done"} >= 1)');
      const deliveries = await prom.scalar('count(hookstream_retention_run_duration_seconds_count{table="deliveries",result="done"} >= 1)');
      return keys === 1 && deliveries === 1 ? true : undefined;
    }, { timeoutMs: 20_000, what: 'a retention run of each table in Prometheus' });
    expect(seen).toBe(true);
    expect(await prom.scalar('max(hookstream_retention_overdue_seconds{table="dedupe_keys"})')).toBe(0);
    expect(await prom.scalar('max(hookstream_retention_overdue_seconds{table="deliveries"})')).toBe(0);
  });

  it('sees webhooks delivered, and consumer lag rise while the validator is down and return to zero', async () => {
    // Warm-up: the gateway learns the new source from the config topic.
    const warm = await waitFor(async () => {
      const r = await fetch(demo.sourceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activly(-1)) });
      return r.status === 202 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'gateway to accept the seeded source' });
    const { id } = (await warm.json()) as { id: string };
    await waitFor(() => receiver.received.find((r) => r.body.toString().includes(id)), { timeoutMs: 30_000, what: 'the warm-up delivery' });
    await waitFor(async () => ((await prom.scalar('sum(hookstream_delivery_attempts_total{outcome="succeeded"})')) ?? 0) >= 1 ? true : undefined, { timeoutMs: 10_000, what: 'first attempt in Prometheus' });

    // The validator stops; events pile up on events.raw.
    await pipeline.kill('validator');
    const batchUrl = demo.sourceUrl.replace('?', '/batch?');
    for (let b = 0; b < Math.ceil(N / 500); b++) {
      const events = Array.from({ length: 500 }, (_, i) => activly(b * 500 + i));
      const r = await fetch(batchUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
      expect(r.status).toBe(202);
    }
    await pipeline.restart('validator');

    await waitFor(() => (receiver.received.length >= N + 1 ? true : undefined), { timeoutMs: 90_000, intervalMs: 250, what: `${N + 1} deliveries at the receiver` });

    // What Prometheus saw. Counters are per process; the validator and its lag series restarted.
    await waitFor(async () => {
      const delivered = await prom.scalar('sum(hookstream_delivery_attempts_total{outcome="succeeded"})');
      const final = await prom.scalar('sum(hookstream_delivery_deliveries_total{status="succeeded"})');
      return (delivered ?? 0) >= N + 1 && (final ?? 0) >= N + 1 ? true : undefined;
    }, { timeoutMs: 15_000, what: 'delivered webhooks in Prometheus' });
    expect(await prom.scalar('sum(hookstream_ingest_requests_total{kind="batch",dialect="activly",status="202"})')).toBe(Math.ceil(N / 500));
    expect(await prom.scalar('sum(hookstream_ingest_events_total)')).toBeGreaterThanOrEqual(N + 1);
    expect(await prom.scalar('sum(hookstream_validator_verdicts_total{verdict="valid"})')).toBeGreaterThanOrEqual(N);
    expect(await prom.scalar('sum(hookstream_automation_produced_total{kind="delivery_request"})')).toBeGreaterThanOrEqual(N + 1);
    // Every attempt starts from the dispatcher's queue, and says how long it waited there.
    expect(await prom.scalar('sum(hookstream_delivery_queue_wait_seconds_count)')).toBeGreaterThanOrEqual(N + 1);

    // Lag: the restarted validator found the backlog, worked it off, and every stage ends at zero.
    const peak = await prom.scalar('max(max_over_time(hookstream_consumer_lag{job="validator",topic="hookstream.events.raw.v1"}[5m]))');
    expect(peak).toBeGreaterThan(0);
    await waitFor(async () => {
      const stages = await prom.query('max by (job) (hookstream_consumer_lag{job=~"validator|enricher|automation|delivery|projector"})');
      return stages.length === 5 && stages.every((s) => s.value === 0) ? stages : undefined;
    }, { timeoutMs: 15_000, what: 'every stage caught up (lag 0)' });
    expect(await prom.scalar('sum(hookstream_consumer_messages_total{job="validator"})')).toBeGreaterThanOrEqual(N);
    expect(await prom.scalar('sum(hookstream_consumer_dlq_messages_total)') ?? 0).toBe(0);
  });
});
