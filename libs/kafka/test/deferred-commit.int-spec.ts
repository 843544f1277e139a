import type { Kafka } from 'kafkajs';
import { DeferredCommit, type CoalescingProducer, type InboundMessage } from '../src';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  deferred,
  handlerModule,
  jsonRecord,
  produceRaw,
  sleep,
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
 * `{ deferCommit: true }` on a real broker: a handler returns a `DeferredCommit` for work that goes
 * on after it returned. The partition is fetched on meanwhile; its offsets are committed in order,
 * each only once the work of every record below it settled; work that fails is read again. With
 * `commitIntervalMs` every handler commits that way, at most one OffsetCommit per interval.
 */
describe('KafkaBatchTransport: deferred commits on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-defer');
    producer = await connectedProducer(kafka);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  const ids = (data: unknown) => (data as InboundMessage<Value>[]).map((m) => m.value.id);

  it('fetches on while earlier work is pending, and commits each offset only once the work below it settled', async () => {
    const topic = await createTopicPair(kafka, 'defer-order');
    const groupId = uniqueName('it-defer-order');
    await produceRaw(kafka, topic, [0, 1, 2].map((id) => jsonRecord('k', { id } satisfies Value)));
    const pending = new Map<number, ReturnType<typeof deferred>>();
    running.push(
      await startConsumer(
        handlerModule(topic, (data) => {
          const [id] = ids(data);
          const w = deferred();
          pending.set(id, w);
          return new DeferredCommit(w.promise);
        }, { batch: true, deferCommit: true }),
        { kafka, producer, groupId, maxBatchSize: 1, fetchLingerMs: 0 },
      ),
    );
    // All three handed over although none of their work has settled.
    await waitFor(async () => pending.size === 3, { what: 'all three records handed to the handler' });
    expect(running[0].transport.deferredPending).toBe(3);

    // The work of record 1 settles first: nothing may be committed while record 0's is pending.
    pending.get(1)?.resolve();
    await sleep(1500);
    expect((await committedOffsets(kafka, groupId, topic)).get(0) ?? -1).toBe(-1);

    pending.get(0)?.resolve();
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 2, { what: 'offsets committed up to record 2' });
    pending.get(2)?.resolve();
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 3, { what: 'offsets committed to the end' });
    expect(running[0].transport.deferredPending).toBe(0);
  });

  it('work that fails is read again from its first record (and what followed it); what settled before it stays committed', async () => {
    const topic = await createTopicPair(kafka, 'defer-fail');
    const groupId = uniqueName('it-defer-fail');
    await produceRaw(kafka, topic, [0, 1, 2].map((id) => jsonRecord('k', { id } satisfies Value)));
    const seen: number[] = [];
    let failed = false;
    running.push(
      await startConsumer(
        handlerModule(topic, (data) => {
          const [id] = ids(data);
          seen.push(id);
          if (id === 1 && !failed) {
            failed = true;
            return new DeferredCommit(sleep(200).then(() => Promise.reject(new Error('the downstream write failed'))));
          }
          return new DeferredCommit(sleep(50));
        }, { batch: true, deferCommit: true }),
        { kafka, producer, groupId, maxBatchSize: 1, fetchLingerMs: 0 },
      ),
    );
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 3, { what: 'offsets committed to the end', timeoutMs: 20_000 });
    // Record 0 once; record 1 twice (failed, then read again); record 2 handed over again with it.
    expect(seen.filter((id) => id === 0)).toHaveLength(1);
    expect(seen.filter((id) => id === 1)).toHaveLength(2);
    expect(seen.filter((id) => id === 2).length).toBeGreaterThanOrEqual(1);
  });

  it('close() lets deferred work settle and commits it before leaving the group', async () => {
    const topic = await createTopicPair(kafka, 'defer-close');
    const groupId = uniqueName('it-defer-close');
    await produceRaw(kafka, topic, [0, 1].map((id) => jsonRecord('k', { id } satisfies Value)));
    let handed = 0;
    const consumer = await startConsumer(
      handlerModule(topic, (data) => {
        handed += ids(data).length;
        return new DeferredCommit(sleep(800));
      }, { batch: true, deferCommit: true }),
      { kafka, producer, groupId, fetchLingerMs: 0 },
    );
    await waitFor(async () => handed === 2, { what: 'both records handed to the handler' });
    await consumer.app.close();
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(2);
  });

  // commitIntervalMs (KAFKA_COMMIT_INTERVAL_MS): every route commits through the trail, and the
  // consumer sends at most one OffsetCommit per interval.
  /** A consumer of `topic` whose batch handler only records the ids it was handed, in `seen`. */
  const recordingConsumer = (topic: string, seen: number[], opts: { groupId: string; commitIntervalMs: number; maxBatchSize?: number; deferredDrainMs?: number }) =>
    startConsumer(
      handlerModule(topic, (data) => {
        seen.push(...ids(data));
      }, { batch: true }),
      { kafka, producer, fetchLingerMs: 0, ...opts },
    );

  it('handles records one batch after another without a commit between them, and commits them in few requests', async () => {
    const topic = await createTopicPair(kafka, 'commit-interval');
    const groupId = uniqueName('it-commit-interval');
    await produceRaw(kafka, topic, Array.from({ length: 20 }, (_, id) => jsonRecord('k', { id } satisfies Value)));
    const seen: number[] = [];
    const consumer = await recordingConsumer(topic, seen, { groupId, maxBatchSize: 1, commitIntervalMs: 2000 });
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
    const consumer = await recordingConsumer(topic, seen, { groupId, commitIntervalMs: 60_000, deferredDrainMs: 3000 });
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 1, { what: 'the first record committed' });
    await produceRaw(kafka, topic, [1, 2].map((id) => jsonRecord('k', { id } satisfies Value)));
    await waitFor(async () => seen.length === 3, { what: 'the next two records handled' });
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(1);
    await consumer.app.close();
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(3);
  });
});
