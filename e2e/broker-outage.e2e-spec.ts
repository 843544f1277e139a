import { configKey, Topics, type SourceSnapshot } from '@hookstream/contracts';
import { startPrivateKafka, uniqueName, waitFor, type KafkaInstance } from '@hookstream/testing';
import { hashToken, newSourceToken } from '@hookstream/webhooks';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pipeline } from './support/pipeline';

const ACTIVLY = { event: 'signup', first_name: 'Alex', city: 'Berlin', country: 'DE', product: 'Pro Plan', timestamp: '2026-02-28T12:00:00Z' };

/**
 * Nothing is "accepted, then lost": with the real broker stopped the gateway answers 503 with
 * Retry-After; once it is back, 202 again; and every event that got a 202 comes out of the
 * validator process on events.valid or events.rejected. The broker taken down is this test's own
 * (a container or process like the run's), so nothing else loses its broker.
 */
describe('broker outage: 503 while down, 202 when back, nothing acknowledged is lost', () => {
  const pipeline = new Pipeline({ PRODUCE_TIMEOUT_MS: '2000', RETRY_AFTER_SECONDS: '3' });
  let broker: KafkaInstance | undefined;
  const token = newSourceToken();
  const sourceId = uniqueName('src');
  const url = () => pipeline.url('ingest-gateway', `/v1/hooks/${sourceId}?token=${encodeURIComponent(token)}`);
  const out = new Set<string>();
  const startOffsets: { topic: string; partition: number; offset: string }[] = [];
  let kafka: Kafka;
  let consumer: Consumer | undefined;
  let seq = 0;

  /** Each post is a distinct event (another first name), so none is a duplicate of another. */
  const post = () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ACTIVLY, first_name: `Alex${++seq}` }) });

  beforeAll(async () => {
    broker = await startPrivateKafka();
    pipeline.useBrokers(broker.brokers);
    kafka = new Kafka({ brokers: [broker.brokers], clientId: 'e2e-broker-outage', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } });
    const p = kafka.producer();
    await p.connect();
    const snap: SourceSnapshot = {
      kind: 'source', id: sourceId, accountId: 'acc_outage', name: 'outage', dialect: 'activly', enabled: true,
      tokens: [{ hash: hashToken(token), expiresAt: null }], signature: { kind: 'none' }, dedupe: null, rateLimitPerSecond: null,
      initiatedFrom: 'api', listId: null, version: 1, updatedAt: new Date().toISOString(),
    };
    await p.send({ topic: Topics.config, acks: -1, messages: [{ key: configKey('source', sourceId), value: JSON.stringify(snap) }] });
    await p.disconnect();
    // Where the outputs end now: the reader starts there once the broker is back (a group that
    // joined before the outage and committed nothing would reset to "latest" and miss events).
    const admin = kafka.admin();
    await admin.connect();
    for (const topic of [Topics.eventsValid, Topics.eventsRejected]) {
      for (const o of await admin.fetchTopicOffsets(topic)) startOffsets.push({ topic, partition: o.partition, offset: o.high });
    }
    await admin.disconnect();
    await pipeline.start(['ingest-gateway', 'validator']);
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await pipeline.stopAll();
    await broker?.destroy();
  }, 90_000);

  it('answers 503 + Retry-After while the broker is down, 202 once it is back, and loses nothing it acknowledged', async () => {
    const accepted: string[] = [];
    const before = await post();
    expect(before.status).toBe(202);
    accepted.push(((await before.json()) as { id: string }).id);

    await broker?.stop();
    const during = await post();
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('3');
    expect(await during.json()).toMatchObject({ error: { code: 'unavailable' } });

    await broker?.start();
    const after = await waitFor(async () => {
      const r = await post();
      return r.status === 202 ? r : undefined;
    }, { timeoutMs: 60000, intervalMs: 500, what: '202 after the broker is back' });
    accepted.push(((await after.json()) as { id: string }).id);

    const reader = kafka.consumer({ groupId: uniqueName('outage-reader') });
    consumer = reader;
    await reader.connect();
    await reader.subscribe({ topics: [Topics.eventsValid, Topics.eventsRejected], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value?.toString() ?? '{}') as { id?: string; raw?: { id: string } };
      const id = v.raw?.id ?? v.id;
      if (id) out.add(id);
    } });
    for (const o of startOffsets) reader.seek(o);
    await waitFor(() => accepted.every((id) => out.has(id)) || undefined, { timeoutMs: 60000, what: 'every acknowledged event on events.valid/rejected' });
  }, 180_000);
});
