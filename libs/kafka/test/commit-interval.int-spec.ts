import type { Kafka } from 'kafkajs';
import type { CoalescingProducer, InboundMessage } from '../src';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  handlerModule,
  jsonRecord,
  produceRaw,
  startConsumer,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

interface Value {
  id: number;
}

/**
 * `commitIntervalMs` (KAFKA_COMMIT_INTERVAL_MS) on a real broker: a handled batch fetches on
 * without waiting for its commit, the commits of an interval share one request, and close()
 * commits what was handled without waiting out the interval.
 */
describe('KafkaBatchTransport: commit interval on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-commit-interval');
    producer = await connectedProducer(kafka);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  const ids = (data: unknown) => (data as InboundMessage<Value>[]).map((m) => m.value.id);

  it('handles records one batch after another without a commit between them, and commits them in few requests', async () => {
    const topic = await createTopicPair(kafka, 'commit-interval');
    const groupId = uniqueName('it-commit-interval');
    await produceRaw(kafka, topic, Array.from({ length: 20 }, (_, id) => jsonRecord('k', { id } satisfies Value)));
    const seen: number[] = [];
    const consumer = await startConsumer(
      handlerModule(topic, (data) => {
        seen.push(...ids(data));
      }, { batch: true }),
      { kafka, producer, groupId, maxBatchSize: 1, fetchLingerMs: 0, commitIntervalMs: 2000 },
    );
    running.push(consumer);
    await waitFor(async () => seen.length === 20, { what: 'all 20 records handled' });
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 20, { what: 'offsets committed to the end' });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, id) => id));
    // Twenty one-record batches; with a commit awaited after each, twenty requests.
    expect(consumer.transport.commits.stats.requests).toBeLessThanOrEqual(3);
    expect(consumer.transport.commits.stats.requests).toBeGreaterThanOrEqual(1);
  });

  it('close() commits what was handled at once, not at the end of the interval', async () => {
    const topic = await createTopicPair(kafka, 'commit-interval-close');
    const groupId = uniqueName('it-commit-interval-close');
    await produceRaw(kafka, topic, [jsonRecord('k', { id: 0 } satisfies Value)]);
    const seen: number[] = [];
    // The interval is longer than close() waits for deferred commits (deferredDrainMs): without
    // the hurry on close, the second commit would still be waiting for its turn when the
    // consumer leaves the group.
    const consumer = await startConsumer(
      handlerModule(topic, (data) => {
        seen.push(...ids(data));
      }, { batch: true }),
      { kafka, producer, groupId, fetchLingerMs: 0, commitIntervalMs: 60_000, deferredDrainMs: 3000 },
    );
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 1, { what: 'the first record committed' });
    await produceRaw(kafka, topic, [1, 2].map((id) => jsonRecord('k', { id } satisfies Value)));
    await waitFor(async () => seen.length === 3, { what: 'the next two records handled' });
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(1);
    await consumer.app.close();
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(3);
  });
});
