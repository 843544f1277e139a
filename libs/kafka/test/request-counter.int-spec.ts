import { CoalescingProducer, countKafkaRequests, KafkaRequestCounter } from '../src';
import { createTopicPair, handlerModule, startConsumer, testKafka, uniqueName, waitFor } from './support/kafka-harness';

describe('Kafka requests counted per client, group and API (real broker)', () => {
  it('counts the producer\'s Produce requests, and a consumer group\'s Fetch and OffsetCommit under its group id', async () => {
    const counter = new KafkaRequestCounter();
    const kafka = countKafkaRequests(testKafka('it-request-counter'), counter);
    const topic = await createTopicPair(kafka, 'requests', 1);
    const producer = new CoalescingProducer(kafka, { sendTimeoutMs: 10_000 });
    await producer.connect();
    const groupId = uniqueName('it-requests');
    const seen: unknown[] = [];
    const { app } = await startConsumer(handlerModule(topic, (m) => void seen.push(m)), { kafka, producer, groupId });
    try {
      const producedBefore = counter.snapshot().filter((c) => c.client === 'producer' && c.api === 'Produce').reduce((a, c) => a + c.count, 0);
      await producer.send(topic, [{ key: 'a', value: { n: 1 } }, { key: 'b', value: { n: 2 } }, { key: 'c', value: { n: 3 } }]);
      const produced = counter.snapshot().filter((c) => c.client === 'producer' && c.api === 'Produce').reduce((a, c) => a + c.count, 0);
      // One send of three records is one acknowledged Produce request.
      expect(produced - producedBefore).toBe(1);
      expect(producer.stats.requests).toBe(1);
      await waitFor(() => seen.length === 3, { timeoutMs: 20_000, what: 'the three records handled' });
      await waitFor(() => counter.snapshot().some((c) => c.group === groupId && c.api === 'OffsetCommit'), { timeoutMs: 10_000, what: 'an OffsetCommit of the group' });
      const mine = new Map(counter.snapshot().filter((c) => c.client === 'consumer' && c.group === groupId).map((c) => [c.api, c.count]));
      expect(mine.get('Fetch')).toBeGreaterThanOrEqual(1);
      expect(mine.get('JoinGroup')).toBeGreaterThanOrEqual(1);
      expect(mine.get('OffsetCommit')).toBeGreaterThanOrEqual(1);
      // createTopicPair went through the admin client built from the same Kafka.
      expect(counter.snapshot().some((c) => c.client === 'admin' && c.api === 'CreateTopics')).toBe(true);
      expect(counter.total()).toBe(counter.snapshot().reduce((a, c) => a + c.count, 0));
    } finally {
      await app.close();
      await producer.disconnect();
    }
  });
});
