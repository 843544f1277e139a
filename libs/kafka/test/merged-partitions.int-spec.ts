import { dlqOf } from '@hookstream/contracts';
import type { Kafka } from 'kafkajs';
import { DLQ_HEADERS, PermanentMessageError, type CoalescingProducer, type InboundMessage } from '../src';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  handlerModule,
  jsonRecord,
  produceRaw,
  readTopic,
  recordCount,
  startConsumer,
  testKafka,
  uniqueName,
  waitFor,
  type RunningConsumer,
} from './support/kafka-harness';

interface Value {
  id: string;
  poison?: boolean;
}

/**
 * One handler call for the partitions of a fetch (KAFKA_MERGE_PARTITIONS, on by default), on a
 * real broker: the records of six partitions, fetched together, reach a batch handler in merged
 * calls; a poison record in one of them fails the merged call, after which each partition handles
 * its own records again — the poison goes to the DLQ, every other record is handled (successfully)
 * once, and every partition's offset is committed to its end.
 */
describe('KafkaBatchTransport: merged calls across partitions on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-merge');
    producer = await connectedProducer(kafka);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  it('a poison record inside a merged call goes to the DLQ; the other partitions\' records are handled once and committed', async () => {
    const partitions = 6;
    const perPartition = 4;
    const topic = await createTopicPair(kafka, 'merge', partitions);
    const groupId = uniqueName('it-merge');
    const records = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) {
        const poison = p === 2 && i === 1;
        records.push(jsonRecord(`k${p}`, { id: `${p}-${i}`, ...(poison ? { poison: true } : {}) } satisfies Value, p));
      }
    }
    // Written before the group joins, so its first fetch brings all six partitions at once.
    await produceRaw(kafka, topic, records);

    const calls: { ids: string[]; partitions: readonly number[] }[] = [];
    const handled = new Map<string, number>();
    const consumer = await startConsumer(
      handlerModule(topic, async (data, ctx) => {
        const msgs = data as InboundMessage<Value>[];
        calls.push({ ids: msgs.map((m) => m.value.id), partitions: ctx.getPartitions() });
        const bad = msgs.find((m) => m.value.poison);
        if (bad) throw new PermanentMessageError(`record ${bad.value.id} is invalid`);
        for (const m of msgs) handled.set(m.value.id, (handled.get(m.value.id) ?? 0) + 1);
      }, { batch: true }),
      { kafka, producer, groupId, maxAttempts: 3, fetchLingerMs: 0 },
    );
    running.push(consumer);

    const dlq = await readTopic(kafka, dlqOf(topic), 1);
    await waitFor(async () => {
      const c = await committedOffsets(kafka, groupId, topic);
      return [...Array(partitions).keys()].every((p) => c.get(p) === perPartition);
    }, { what: 'every partition committed to its end' });

    // Merged: the first fetch's six partitions were one call, each partition's records in offset order.
    const merged = calls.filter((c) => c.partitions.length > 1);
    expect(merged.length).toBeGreaterThanOrEqual(1);
    for (const c of calls) {
      for (let p = 0; p < partitions; p++) {
        const mine = c.ids.filter((id) => id.startsWith(`${p}-`));
        expect(mine).toEqual([...mine].sort());
      }
    }
    expect(consumer.transport.merges.failed).toBeGreaterThanOrEqual(1);

    // The poison alone in the DLQ, with where it came from; nothing else.
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(dlq[0].value ?? 'null')).toEqual({ id: '2-1', poison: true });
    expect(dlq[0].headers[DLQ_HEADERS.partition]).toBe('2');
    expect(dlq[0].headers[DLQ_HEADERS.offset]).toBe('1');
    expect(dlq[0].headers[DLQ_HEADERS.error]).toBe('record 2-1 is invalid');
    expect(await recordCount(kafka, dlqOf(topic))).toBe(1);

    // Every other record handled successfully exactly once.
    const expected = records.map((r) => (JSON.parse(r.value ?? '{}') as Value).id).filter((id) => id !== '2-1').sort();
    expect([...handled.keys()].sort()).toEqual(expected);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
  });
  it('a member joining while a merged call runs: the call finishes and commits (its member still owns the partitions until it rejoins), the new owner goes on from there, nothing lost or handled twice', async () => {
    const partitions = 6;
    const topic = await createTopicPair(kafka, 'merge-rebalance', partitions);
    const groupId = uniqueName('it-merge-rebalance');
    const batch = (from: number) => {
      const out = [];
      for (let p = 0; p < partitions; p++) for (let i = from; i < from + 3; i++) out.push(jsonRecord(`k${p}`, { id: `${p}-${i}` } satisfies Value, p));
      return out;
    };
    const first = batch(0);
    await produceRaw(kafka, topic, first);

    const handled = new Map<string, string[]>();
    const record = (who: string, data: unknown) => {
      for (const m of data as InboundMessage<Value>[]) handled.set(m.value.id, [...(handled.get(m.value.id) ?? []), who]);
    };
    let held = true;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstStarted!: (partitions: readonly number[]) => void;
    const started = new Promise<readonly number[]>((r) => (firstStarted = r));
    running.push(await startConsumer(handlerModule(topic, async (data, ctx) => {
      if (held) {
        held = false;
        firstStarted(ctx.getPartitions());
        await firstHeld;
      }
      record('a', data);
    }, { batch: true }), { kafka, producer, groupId, fetchLingerMs: 0 }));
    expect((await started).length).toBeGreaterThan(1);

    // A second member joins while the merged call is held: the group starts rebalancing under it.
    const joining = startConsumer(handlerModule(topic, async (data) => record('b', data), { batch: true }), { kafka, producer, groupId, fetchLingerMs: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    releaseFirst();
    const b = await joining;
    running.push(b);
    await waitFor(async () => b.transport.busy === 0 && (b.transport as unknown as { assignment: Map<string, number[]> }).assignment.size > 0, { what: 'the second member assigned' });
    const second = batch(3);
    await produceRaw(kafka, topic, second);

    await waitFor(async () => {
      const c = await committedOffsets(kafka, groupId, topic);
      return [...Array(partitions).keys()].every((p) => c.get(p) === 6);
    }, { what: 'every partition committed to its end', timeoutMs: 30_000 });
    const ids = [...first, ...second].map((r) => (JSON.parse(r.value ?? '{}') as Value).id).sort();
    expect([...handled.keys()].sort()).toEqual(ids);
    expect([...handled.values()].filter((who) => who.length !== 1)).toEqual([]);
    // Both members worked after the rebalance.
    expect(new Set([...handled.values()].flat())).toEqual(new Set(['a', 'b']));
  });
});
