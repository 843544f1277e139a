import { dlqOf } from '@hookstream/contracts';
import { PermanentMessageError, type CoalescingProducer, type EventProducer, type InboundMessage, type OutboundMessage } from '../src';
import type { Kafka } from 'kafkajs';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  handlerModule,
  jsonRecord,
  produceRaw,
  readTopic,
  startConsumer,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

/**
 * kafkajs stops a consumer for good after a crash it deems non-retriable (CRASH with
 * restart: false) and says nothing more: the app kept "ready" while consuming nothing. Here the
 * first dead-letter write is refused with a non-retriable error, which crashes kafkajs' consumer
 * exactly that way on the real broker; the transport must start a new consumer that picks up
 * from the last committed offset.
 */
describe('KafkaBatchTransport restarts a consumer kafkajs gave up on (real broker)', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-restart');
    producer = await connectedProducer(kafka);
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
    await producer.disconnect();
  });

  it('after a crash kafkajs does not restart from, a new consumer handles the rest', async () => {
    const topic = await createTopicPair(kafka, 'restart');
    const groupId = uniqueName('it-restart');
    let refuseNext = true;
    /** The real producer, except that the first DLQ write fails with an error kafkajs treats as fatal. */
    const dlqWriter: EventProducer = {
      send: async (t: string, messages: OutboundMessage[]) => {
        if (refuseNext) {
          refuseNext = false;
          throw Object.assign(new Error('DLQ write refused (test)'), { retriable: false });
        }
        await producer.send(t, messages);
      },
    };
    const handled: string[] = [];
    const consumer = await startConsumer(handlerModule(topic, async (m: unknown) => {
      const v = (m as InboundMessage).value as { id: string; poison?: boolean };
      if (v.poison) throw new PermanentMessageError(`poison ${v.id}`);
      handled.push(v.id);
    }), { kafka, producer: dlqWriter, groupId, maxAttempts: 1 });
    running.push(consumer);

    await produceRaw(kafka, topic, [jsonRecord('a', { id: 'a' }), jsonRecord('p', { id: 'p', poison: true }), jsonRecord('b', { id: 'b' }), jsonRecord('c', { id: 'c' })]);

    await waitFor(() => handled.includes('c') || undefined, { timeoutMs: 45_000, what: 'the messages after the crash to be handled' });
    expect(consumer.transport.restarts).toBe(1);
    const [dead] = await readTopic(kafka, dlqOf(topic), 1);
    expect(dead.headers['hookstream_dlq_error']).toBe('poison p');
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 4, { what: 'offset 4 committed' });
    expect((await consumer.transport.health()).ok).toBe(true);
  }, 60_000);
});
