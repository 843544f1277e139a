import { dlqOf } from '@hookstream/contracts';
import { CoalescingProducer, DLQ_HEADERS, REPLAY_HEADERS, type InboundMessage } from '../src';
import type { Kafka } from 'kafkajs';
import { committedOffsets, connectedProducer, createTopicPair, handlerModule, jsonRecord, produceRaw, readTopic, startConsumer, testKafka, uniqueName, waitFor, type RunningConsumer } from './support/kafka-harness';

describe('DLQ replay addressing on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-replay');
    producer = await connectedProducer(kafka);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it('names the consumer group in the dead letter, and a replay addressed to that group reaches it only: the other group commits past it unread', async () => {
    const topic = await createTopicPair(kafka, 'replay');
    const groupA = uniqueName('it-replay-a');
    const groupB = uniqueName('it-replay-b');
    const seenA: string[] = [];
    const seenB: string[] = [];
    let failA = true;
    const id = (m: unknown) => ((m as InboundMessage).value as { id: string }).id;
    running.push(
      await startConsumer(
        handlerModule(topic, async (m: unknown) => {
          seenA.push(id(m));
          if (failA && id(m) === 'r1') throw new Error('database down');
        }),
        { kafka, producer, groupId: groupA, maxAttempts: 2, retryBaseMs: 10 },
      ),
    );
    running.push(await startConsumer(handlerModule(topic, async (m: unknown) => void seenB.push(id(m))), { kafka, producer, groupId: groupB, maxAttempts: 2 }));

    await produceRaw(kafka, topic, [jsonRecord('k1', { id: 'r1' })]);
    const [dead] = await readTopic(kafka, dlqOf(topic), 1);
    expect(dead.headers[DLQ_HEADERS.group]).toBe(groupA);
    expect(dead.headers[DLQ_HEADERS.error]).toBe('database down');
    await waitFor(() => (seenB.includes('r1') ? true : undefined), { what: 'group B to process the original' });

    // The cause is fixed; the dead letter is replayed for group A only, then an ordinary record follows.
    failA = false;
    await produceRaw(kafka, topic, [
      { ...jsonRecord('k1', { id: 'r1' }), headers: { ...jsonRecord('k1', {}).headers, [REPLAY_HEADERS.group]: groupA, [REPLAY_HEADERS.of]: `${dlqOf(topic)}/0/0` } },
      jsonRecord('k2', { id: 'after' }),
    ]);
    await waitFor(() => (seenA.includes('after') && seenB.includes('after') ? true : undefined), { what: 'both groups past the replay' });
    expect(seenA.filter((x) => x === 'r1')).toEqual(['r1', 'r1', 'r1']); // 2 failed attempts + the replay
    expect(seenB).toEqual(['r1', 'after']); // the replay was not B's
    await waitFor(async () => ((await committedOffsets(kafka, groupB, topic)).get(0) === 3 ? true : undefined), { what: 'group B committed past the replay' });
  });
});
