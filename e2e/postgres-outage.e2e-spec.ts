import { Topics, dlqOf } from '@hookstream/contracts';
import { PrivatePostgres, testKafka, waitFor } from '@hookstream/testing';
import type { Kafka } from 'kafkajs';
import { Pipeline } from './support/pipeline';
import { Receiver } from './support/receiver';

interface Demo {
  accountId: string;
  sourceUrl: string;
}

const OUTAGE_MS = 60_000;
const RATE_PER_SECOND = 10;
const DLQS = [Topics.eventsRaw, Topics.eventsValid, Topics.eventsEnriched, Topics.eventsRejected, Topics.eventsDuplicate, Topics.contactEvents, Topics.deliveries, Topics.deliveryResults].map(dlqOf);

type Ends = Map<string, { partition: number; offset: string }[]>;

async function endOffsets(kafka: Kafka, topics: string[]): Promise<Ends> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: Ends = new Map();
    for (const t of topics) out.set(t, (await admin.fetchTopicOffsets(t)).map((o) => ({ partition: o.partition, offset: o.high })));
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The dead letters written between `from` and `to` by this pipeline's consumer groups (named by
 * `hookstream_dlq_group`, which ends with the pipeline's group suffix) about this pipeline's
 * account: other runs on a shared broker may dead-letter their own messages meanwhile.
 */
async function deadLettersOf(kafka: Kafka, from: Ends, to: Ends, groupSuffix: string, accountId: string): Promise<string[]> {
  const wanted = [...to.entries()].flatMap(([topic, parts]) =>
    parts.map((p) => ({ topic, partition: p.partition, start: Number(from.get(topic)?.find((f) => f.partition === p.partition)?.offset ?? 0), end: Number(p.offset) })))
    .filter((w) => w.end > w.start);
  if (wanted.length === 0) return [];
  const found: string[] = [];
  const left = new Map(wanted.map((w) => [`${w.topic}/${w.partition}`, w.end - w.start]));
  const consumer = kafka.consumer({ groupId: `e2e-pg-outage-dlq-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(wanted.map((w) => w.topic))] });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const w = wanted.find((x) => x.topic === topic && x.partition === partition);
        const offset = Number(message.offset);
        if (!w || offset < w.start || offset >= w.end) return;
        left.set(`${topic}/${partition}`, (left.get(`${topic}/${partition}`) ?? 0) - 1);
        const group = message.headers?.['hookstream_dlq_group']?.toString() ?? '';
        // Ours: dead-lettered by this pipeline's groups, and about this pipeline's account (another
        // test on the same broker may publish its own poison to the topics these groups read).
        if (group.endsWith(groupSuffix) && (message.value?.toString() ?? '').includes(accountId)) found.push(`${topic}@${offset} (${group}): ${message.headers?.['hookstream_dlq_error']?.toString() ?? ''}`);
      },
    });
    for (const w of wanted) consumer.seek({ topic: w.topic, partition: w.partition, offset: String(w.start) });
    await waitFor(() => [...left.values()].every((n) => n <= 0) || undefined, { timeoutMs: 30_000, what: 'the dead letters written during the run' });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/**
 * The measurement as a test: PostgreSQL stops for 60 s while events stream through all seven
 * apps. The database is a private instance (its own data directory and port) so the test can stop
 * it; the shared cluster is never touched. Every event that got a 202 is delivered afterwards, and
 * no dead-letter topic receives anything: an outage is nobody's poison.
 */
describe('PostgreSQL outage: 60 s down while events stream, every accepted event delivered, DLQs empty', () => {
  const pg = new PrivatePostgres();
  const receiver = new Receiver();
  let pipeline: Pipeline;
  let kafka: Kafka;
  let demo: Demo;

  beforeAll(async () => {
    await pg.start();
    kafka = testKafka('e2e-pg-outage');
    const inbox = await receiver.start();
    pipeline = new Pipeline({ LOG_LEVEL: 'warn' }, { databaseServerUrl: pg.url() });
    await pipeline.start(['control-api']);
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
    await pipeline.start(['ingest-gateway', 'validator', 'enricher', 'automation', 'delivery']);
  }, 240_000);

  afterAll(async () => {
    if (!pg.running()) await pg.start().catch(() => undefined);
    await pipeline?.stopAll();
    await receiver.stop();
    pg.destroy();
  }, 120_000);

  it('stops PostgreSQL for 60 s mid-stream: every 202 is delivered, nothing dead-lettered', async () => {
    const post = (i: number) =>
      fetch(demo.sourceUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'purchase', first_name: `Sam${i}`, city: 'Leeds', country: 'GB', product: `Shoe ${i}`, timestamp: new Date().toISOString(), amount: i, currency: 'GBP' }),
      });
    // The gateway learns the seeded source from the config topic.
    await waitFor(async () => ((await post(0)).status === 202 ? true : undefined), { timeoutMs: 15_000, what: 'the gateway to accept the seeded source' });
    const dlqBefore = await endOffsets(kafka, DLQS);

    const accepted: string[] = [];
    const refused: number[] = [];
    let i = 1;
    const send = async () => {
      const r = await post(i++);
      if (r.status === 202) accepted.push(((await r.json()) as { id: string }).id);
      else refused.push(r.status);
    };
    const stream = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const tick = Date.now();
        await Promise.all(Array.from({ length: RATE_PER_SECOND / 5 }, send));
        await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - tick))));
      }
    };

    await stream(5_000);
    pg.stop('fast');
    const down = Date.now();
    // While down: the consumers hold their partitions and say why.
    const notReady = waitFor(async () => {
      const r = await fetch(pipeline.url('validator', '/health/ready'));
      if (r.status !== 503) return undefined;
      return (await r.json()) as { message?: { checks?: Record<string, { ok: boolean; detail: string }> } };
    }, { timeoutMs: 30_000, what: 'the validator to report not ready' });
    await stream(OUTAGE_MS - (Date.now() - down));
    const readiness = await notReady;
    await pg.start();
    await stream(5_000);

    expect(refused).toEqual([]);
    expect(accepted.length).toBeGreaterThan(500);
    expect(JSON.stringify(readiness)).toMatch(/postgres/);

    const delivered = new Set<string>();
    const missing = () => {
      for (const r of receiver.received) {
        const id = (JSON.parse(r.body.toString()) as { data?: { id?: string } }).data?.id;
        if (id) delivered.add(id);
      }
      return accepted.filter((id) => !delivered.has(id));
    };
    await waitFor(() => missing().length === 0 || undefined, { timeoutMs: 180_000, intervalMs: 1000, what: `every accepted event delivered (missing ${missing().length} of ${accepted.length})` });

    const dlqAfter = await endOffsets(kafka, DLQS);
    expect(await deadLettersOf(kafka, dlqBefore, dlqAfter, pipeline.env['KAFKA_GROUP_SUFFIX'] ?? '', demo.accountId)).toEqual([]);
  }, 420_000);
});
