import { Controller, Module, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';
import { CoalescingProducer, type InboundMessage } from '../src';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  jsonRecord,
  produceRaw,
  sleep,
  startConsumer,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

/** One handler on each of two topics, recording the ids it was handed, by topic. */
function twoTopicModule(main: string, legacy: string, seen: Map<string, string[]>): Type {
  const record = (topic: string, batch: InboundMessage[]) => seen.set(topic, [...(seen.get(topic) ?? []), ...batch.map((m) => (m.value as { id: string }).id)]);
  @Controller()
  class TwoTopics {
    @EventPattern(main, { batch: true })
    onMain(@Payload() batch: InboundMessage[]): void {
      record(main, batch);
    }

    @EventPattern(legacy, { batch: true })
    onLegacy(@Payload() batch: InboundMessage[]): void {
      record(legacy, batch);
    }
  }
  @Module({ controllers: [TwoTopics] })
  class TwoTopicsModule {}
  return TwoTopicsModule;
}

describe('consumeOnlyIfCommitted on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  let main: string;
  let legacy: string;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-only-if-committed');
    producer = await connectedProducer(kafka);
    main = await createTopicPair(kafka, 'oic-main');
    legacy = await createTopicPair(kafka, 'oic-legacy');
    await produceRaw(kafka, main, [jsonRecord('k', { id: 'm1' })]);
    await produceRaw(kafka, legacy, [jsonRecord('k', { id: 'l1' })]);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  it('a group that never committed on the topic does not subscribe to it: its records stay unread and uncommitted', async () => {
    const groupId = uniqueName('it-oic-new');
    const seen = new Map<string, string[]>();
    const r = await startConsumer(twoTopicModule(main, legacy, seen), { kafka, producer, groupId, consumeOnlyIfCommitted: [legacy] });
    running.push(r);
    expect(r.transport.subscribed).toEqual([main]);
    await waitFor(() => seen.get(main)?.includes('m1') || undefined, { what: 'the main topic record handled' });
    await waitFor(async () => (await committedOffsets(kafka, groupId, main)).get(0) === 1 || undefined, { what: 'the main topic committed' });
    // Both records were there before the consumer started (from the beginning): one fetch would have had both.
    await sleep(1000);
    expect(seen.get(legacy)).toBeUndefined();
    expect([...(await committedOffsets(kafka, groupId, legacy)).values()].filter((o) => o >= 0)).toEqual([]);
  });

  it('a group with a committed offset on the topic consumes it from there, as without the option', async () => {
    const groupId = uniqueName('it-oic-upgraded');
    const admin = kafka.admin();
    await admin.connect();
    try {
      // What an older version's consumer of this group left: an offset on the topic.
      await admin.setOffsets({ groupId, topic: legacy, partitions: [{ partition: 0, offset: '0' }] });
    } finally {
      await admin.disconnect();
    }
    const seen = new Map<string, string[]>();
    const r = await startConsumer(twoTopicModule(main, legacy, seen), { kafka, producer, groupId, consumeOnlyIfCommitted: [legacy] });
    running.push(r);
    expect([...r.transport.subscribed].sort()).toEqual([legacy, main].sort());
    await waitFor(() => (seen.get(legacy)?.includes('l1') && seen.get(main)?.includes('m1')) || undefined, { what: 'both records handled' });
    await waitFor(async () => (await committedOffsets(kafka, groupId, legacy)).get(0) === 1 || undefined, { what: 'the legacy topic committed past its record' });
  });
});
