import { Topics } from '@hookstream/contracts';
import { LocalKafka, testKafka, waitFor } from '@hookstream/testing';
import type { Admin, Kafka } from 'kafkajs';
import { Client } from 'pg';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStream, type StreamReport } from './support/event-stream';
import { APPS, Pipeline, ROOT } from './support/pipeline';
import { Receiver } from './support/receiver';

/** The topics an event crosses on its way to the receiver (plus the config topic the gateway reads). */
const PATH_TOPICS = [Topics.eventsRaw, Topics.eventsValid, Topics.eventsEnriched, Topics.deliveries, Topics.config];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How long a broker stays paused: past the apps' consumer session timeout (KAFKA_SESSION_TIMEOUT_MS,
 * 10 s by default) and the KRaft broker session timeout (9 s), so the group coordinator drops the
 * members it cannot reach and the controller fences the broker and moves its leaderships.
 */
const PAUSE_MS = 20_000;

/**
 * The seven apps on a three-broker KRaft cluster of the test's own (tools/infra/kafka.sh,
 * KAFKA_CLUSTER_SIZE=3; topics RF 3, min.insync 2), each fault under a stream of sequenced events
 * through the whole pipeline to a receiver: nothing the gateway acknowledged is lost, the gateway
 * is unavailable only for a bounded window, consumers resume, and any repeated delivery carries
 * the same webhook-id. Figures go to test-artifacts/kafka-faults.json (docs/kafka-production.md).
 */
describe('three-broker cluster: broker faults under load lose no acknowledged event', () => {
  const cluster = new LocalKafka({ nodes: 3, heap: '-Xms128m -Xmx320m' });
  const receiver = new Receiver();
  const reports: Record<string, StreamReport & { fault: string; faultMs: number; details?: Record<string, unknown> }> = {};
  let pipeline: Pipeline;
  let kafka: Kafka;
  let admin: Admin;
  let sourceUrl = '';

  /** The broker (node id) that leads the most partitions of the event path, and which ones. */
  async function busiestLeader(): Promise<{ node: number; partitions: string[] }> {
    const md = await admin.fetchTopicMetadata({ topics: PATH_TOPICS });
    const led = new Map<number, string[]>();
    for (const t of md.topics) for (const p of t.partitions) led.set(p.leader, [...(led.get(p.leader) ?? []), `${t.name}[${p.partitionId}]`]);
    const [node, partitions] = [...led.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    return { node, partitions };
  }

  /** Every partition of the path back to three in-sync replicas (a fault must not start on a degraded cluster). */
  async function fullIsr(): Promise<void> {
    await waitFor(async () => {
      const md = await admin.fetchTopicMetadata({ topics: [...PATH_TOPICS, '__consumer_offsets'] }).catch(() => undefined);
      return md?.topics.every((t) => t.partitions.every((p) => p.isr.length === 3 && p.leader >= 0)) || undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, what: 'every partition with 3 in-sync replicas' });
  }

  /**
   * The partition of events.raw the gateway writes this test's source to (the only one with records
   * on this private cluster) and its leader: the broker the gateway's producer talks to.
   */
  async function gatewayLeader(): Promise<{ node: number; partition: number }> {
    const written = (await admin.fetchTopicOffsets(Topics.eventsRaw)).filter((o) => Number(o.high) > 0);
    expect(written).toHaveLength(1);
    const md = await admin.fetchTopicMetadata({ topics: [Topics.eventsRaw] });
    const p = md.topics[0].partitions.find((x) => x.partitionId === written[0].partition);
    return { node: p?.leader ?? -1, partition: written[0].partition };
  }

  /** What a broker is right now: active KRaft controller, group coordinator (offsets topic leader), partitions it leads on the event path. */
  async function rolesOf(node: number): Promise<Record<string, unknown>> {
    const md = await admin.fetchTopicMetadata({ topics: [...PATH_TOPICS, '__consumer_offsets'] });
    const led = md.topics.flatMap((t) => t.partitions.filter((p) => p.leader === node).map((p) => `${t.name}[${p.partitionId}]`));
    return {
      node,
      activeController: (await cluster.activeController()) === node,
      groupCoordinator: led.some((l) => l.startsWith('__consumer_offsets')),
      leads: led.filter((l) => !l.startsWith('__consumer_offsets')),
    };
  }

  async function run(name: string, fault: (stream: EventStream) => Promise<Record<string, unknown> | void>): Promise<StreamReport> {
    await ensurePipeline();
    await fullIsr();
    const stream = new EventStream(sourceUrl, { senders: 4, gapMs: 40 });
    const before = receiver.received.length;
    stream.start();
    await sleep(4000);
    const t0 = Date.now();
    const details = (await fault(stream)) ?? undefined;
    const faultMs = Date.now() - t0;
    await sleep(4000);
    await stream.stop();
    // Consumers resume: every acknowledged event reaches the receiver.
    await waitFor(() => stream.missing(receiver.received).length === 0 || undefined, { timeoutMs: 180_000, intervalMs: 500, what: `every acknowledged event of "${name}" at the receiver` })
      .catch(() => undefined);
    const missing = stream.missing(receiver.received);
    if (missing.length > 0) process.stdout.write(`[kafka-faults] ${name}: not delivered: ${JSON.stringify(await whereAre(missing.map((s) => stream.accepted.get(s) ?? '')))}\n`);
    await sleep(2000); // late repeats, if any, are counted too
    const report = stream.report(receiver.received.slice(before));
    reports[name] = { fault: name, faultMs, ...report, ...(details ? { details } : {}) };
    process.stdout.write(`[kafka-faults] ${name}: ${JSON.stringify(reports[name])}\n`);
    return report;
  }

  /** Where undelivered events got to (feed status, delivery rows, dead letters), for the failure message. */
  async function whereAre(eventIds: string[]): Promise<unknown> {
    const db = new Client({ connectionString: pipeline.env['DATABASE_URL'] });
    await db.connect();
    try {
      const feed = await db.query('SELECT id, status FROM feed_events WHERE id = ANY($1)', [eventIds]);
      const deliveries = await db.query('SELECT event_id, status, attempts, last_error FROM deliveries WHERE event_id = ANY($1)', [eventIds]);
      const dlq = await db.query('SELECT source_topic, consumer_group, error FROM dlq_messages ORDER BY recorded_at DESC LIMIT 5').catch(() => ({ rows: [] }));
      return { eventIds, feed: feed.rows, deliveries: deliveries.rows, recentDeadLetters: dlq.rows };
    } finally {
      await db.end();
    }
  }

  function expectNoLoss(r: StreamReport, maxUnavailableMs: number): void {
    expect(r.accepted).toBeGreaterThan(50);
    expect(r.lost).toBe(0);
    // Bounded unavailability: the gateway answers 202 again within this.
    expect(r.longestUnavailableMs).toBeLessThan(maxUnavailableMs);
    // At-least-once, deduplicable: an event may be delivered again only under its own webhook-id.
    expect(r.eventsWithSeveralWebhookIds).toBe(0);
    expect(r.repeatedDeliveries).toBeLessThanOrEqual(r.accepted * 0.05);
  }

  /** The apps not running yet (all but the boot test's gateway), the demo account and a warm-up event. */
  async function startRest(): Promise<void> {
    await pipeline.start(APPS.filter((a) => pipeline.exitCode(a) !== null));
    const demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inboxUrl}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as { sourceUrl: string };
    sourceUrl = demo.sourceUrl;
    await waitFor(async () => {
      const r = await fetch(sourceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"signup","first_name":"W","city":"Berlin","country":"DE","product":"warm-up","timestamp":"2026-02-28T12:00:00Z"}' });
      return r.status === 202 || undefined;
    }, { timeoutMs: 30_000, what: 'the gateway to accept the seeded source' });
  }

  let inboxUrl = '';

  /** The whole pipeline, for a test run on its own (`-t`) without the boot test that starts it. */
  async function ensurePipeline(): Promise<void> {
    if (!sourceUrl) await startRest();
  }

  beforeAll(async () => {
    await cluster.start();
    const clusterEnv = await cluster.clientEnv();
    expect(clusterEnv).toMatchObject({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    kafka = testKafka('e2e-kafka-faults', cluster.brokers.split(','));
    admin = kafka.admin();
    await admin.connect();
    inboxUrl = await receiver.start();
    pipeline = new Pipeline({
      ...clusterEnv,
      KAFKA_BROKERS: cluster.brokers,
      KAFKA_TOPIC_PARTITIONS: '3',
      // A paused leader holds a request until this runs out (Kafka clients' default is 30 s).
      KAFKA_REQUEST_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    });
  }, 400_000);

  afterAll(async () => {
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'kafka-faults.json'), `${JSON.stringify(reports, null, 2)}\n`);
    await admin?.disconnect().catch(() => undefined);
    await pipeline?.stopAll();
    await receiver.stop();
    await cluster.stop();
  }, 240_000);

  it('an app that boots while a broker is missing waits for it (not ready, a clear log), and starts once it is back', async () => {
    // The cluster has 2 of its 3 brokers: RF 3 topics cannot be created yet (a cluster still
    // registering its brokers looks the same to a booting app).
    await cluster.stopNode(3);
    await pipeline.launch(['ingest-gateway']);
    const gw = pipeline.url('ingest-gateway');
    await waitFor(() => /could not use Kafka at .*has 2 broker\(s\).*retrying in/.test(pipeline.log('ingest-gateway')) || undefined,
      { timeoutMs: 60_000, what: 'the gateway to log that it waits for the third broker' });
    expect(pipeline.exitCode('ingest-gateway')).toBeNull();
    expect((await fetch(`${gw}/health/live`)).status).toBe(200);
    expect((await fetch(`${gw}/health/ready`)).status).toBe(503);
    await cluster.startNode(3);
    await pipeline.waitReady('ingest-gateway', 90_000);
    await startRest();
  }, 400_000);

  it('the apps created their topics with RF 3, min.insync.replicas 2, and the plan\'s retention and cleanup policy', async () => {
    await ensurePipeline();
    const md = await admin.fetchTopicMetadata({ topics: PATH_TOPICS });
    for (const t of md.topics) for (const p of t.partitions) expect(p.replicas).toHaveLength(3);
    const configs = await admin.describeConfigs({
      resources: [Topics.eventsRaw, Topics.config].map((name) => ({ type: 2, name, configNames: ['min.insync.replicas', 'cleanup.policy', 'retention.ms'] })),
      includeSynonyms: false,
    });
    const byTopic = Object.fromEntries(configs.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    expect(byTopic[Topics.eventsRaw]).toEqual({ 'min.insync.replicas': '2', 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600 * 1000) });
    expect(byTopic[Topics.config]).toEqual({ 'min.insync.replicas': '2', 'cleanup.policy': 'compact', 'retention.ms': '-1' });
  });

  it('SIGKILL of the partition leaders\' broker mid-stream', async () => {
    const r = await run('broker SIGKILL', async () => {
      const { node } = await busiestLeader();
      await cluster.signal(node, 'SIGKILL');
      await sleep(10_000); // streaming on two brokers
      await cluster.startNode(node);
    });
    expectNoLoss(r, 30_000);
  }, 400_000);

  it('rolling restart of all three brokers under load', async () => {
    const r = await run('rolling restart', async () => {
      for (const node of [1, 2, 3]) {
        await cluster.stopNode(node);
        await cluster.startNode(node);
        await fullIsr();
      }
    });
    expectNoLoss(r, 30_000);
  }, 600_000);

  it('the broker leading the gateway\'s partition paused (SIGSTOP) for longer than the session timeouts', async () => {
    const r = await run('broker SIGSTOP', async () => {
      // The broker the gateway writes to: its producer must find the new leader (a paused broker
      // keeps its connections open; only the request timeout tells).
      const { node, partition } = await gatewayLeader();
      const roles = { ...(await rolesOf(node)), gatewayPartition: partition };
      await cluster.signal(node, 'SIGSTOP');
      try {
        await sleep(PAUSE_MS);
      } finally {
        await cluster.signal(node, 'SIGCONT');
      }
      return roles;
    });
    expectNoLoss(r, 30_000);
  }, 600_000);
});
