import { dlqOf } from '@hookstream/contracts';
import { CoalescingProducer, DLQ_HEADERS, PermanentMessageError, type InboundMessage, type KafkaBatchContext } from '../src';
import type { Kafka } from 'kafkajs';
import {
  committedOffsets,
  connectedProducer,
  createTopicPair,
  deferred,
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

interface TestValue {
  id: string;
  kind: 'ok' | 'fail' | 'permanent' | 'flaky' | 'slow' | 'poison';
}

const valueOf = (m: InboundMessage): TestValue => m.value as TestValue;

describe('KafkaBatchTransport on a real broker', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  const running: RunningConsumer[] = [];
  const gates: (() => void)[] = [];

  beforeAll(async () => {
    kafka = testKafka('it-kafka-transport');
    producer = await connectedProducer(kafka);
  });

  afterEach(async () => {
    // Blocked handlers must finish or the consumer's stop() waits for them forever.
    gates.splice(0).forEach((open) => open());
    await Promise.all(running.splice(0).map((r) => r.app.close()));
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  async function start(topic: string, groupId: string, handle: (data: unknown, ctx: KafkaBatchContext) => unknown, extra: { batch?: boolean; maxAttempts?: number; maxBatchSize?: number; partitionsConsumedConcurrently?: number } = {}): Promise<void> {
    const { batch, ...opts } = extra;
    running.push(await startConsumer(handlerModule(topic, handle, { batch }), { kafka, producer, groupId, maxAttempts: 3, ...opts }));
  }

  it('retries a failing message exactly maxAttempts times, then dead-letters it with its error, attempts and origin', async () => {
    const topic = await createTopicPair(kafka, 'retry');
    const groupId = uniqueName('it-retry');
    const calls = new Map<string, number[]>();
    await start(topic, groupId, async (m: unknown, ctx) => {
      const v = valueOf(m as InboundMessage);
      calls.set(v.id, [...(calls.get(v.id) ?? []), ctx.getAttempt()]);
      if (v.kind === 'fail') throw new Error(`boom ${v.id}`);
      if (v.kind === 'permanent') throw new PermanentMessageError(`invalid contract ${v.id}`);
    });

    const failing = jsonRecord('key-fail', { id: 'f1', kind: 'fail' });
    const permanent = jsonRecord('key-perm', { id: 'p1', kind: 'permanent' });
    const notJson = { key: 'key-bad', value: '{"id": "x1", oops', partition: 0, headers: { ce_id: 'raw-1' } };
    const ok = jsonRecord('key-ok', { id: 'o1', kind: 'ok' });
    await produceRaw(kafka, topic, [failing, permanent, notJson, ok]);

    const dlq = await readTopic(kafka, dlqOf(topic), 3);
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 4, { what: 'offset 4 committed' });

    expect(calls.get('f1')).toEqual([1, 2, 3]);
    expect(calls.get('p1')).toEqual([1]);
    expect(calls.has('x1')).toBe(false);
    expect(calls.get('o1')).toEqual([1]);
    expect(await recordCount(kafka, dlqOf(topic))).toBe(3);

    const byOffset = new Map(dlq.map((d) => [d.headers[DLQ_HEADERS.offset], d]));
    const f = byOffset.get('0')!;
    expect(f.key).toBe('key-fail');
    expect(f.value).toBe(failing.value);
    expect(f.headers[DLQ_HEADERS.error]).toBe('boom f1');
    expect(f.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(f.headers[DLQ_HEADERS.topic]).toBe(topic);
    expect(f.headers[DLQ_HEADERS.partition]).toBe('0');
    expect(f.headers[DLQ_HEADERS.group]).toBe(groupId);
    expect(Number.isNaN(Date.parse(f.headers[DLQ_HEADERS.failedAt]))).toBe(false);
    // The original CloudEvents headers travel with the dead letter.
    expect(f.headers['ce_id']).toBe(String(failing.headers!['ce_id']));
    expect(f.headers['traceparent']).toBe(String(failing.headers!['traceparent']));

    const p = byOffset.get('1')!;
    expect(p.key).toBe('key-perm');
    expect(p.value).toBe(permanent.value);
    expect(p.headers[DLQ_HEADERS.error]).toBe('invalid contract p1');
    expect(p.headers[DLQ_HEADERS.attempts]).toBe('1');

    const x = byOffset.get('2')!;
    expect(x.key).toBe('key-bad');
    // Byte-for-byte: a dead letter must be replayable after the cause is fixed.
    expect(x.value).toBe(notJson.value);
    expect(x.headers[DLQ_HEADERS.error]).toMatch(/not valid JSON/);
    expect(x.headers[DLQ_HEADERS.attempts]).toBe('1');
    expect(x.headers['ce_id']).toBe('raw-1');
  });

  it('a poison message does not block its partition: later messages are handled in order and the offset moves past them', async () => {
    const topic = await createTopicPair(kafka, 'poison');
    const groupId = uniqueName('it-poison');
    const handled: string[] = [];
    let poisonCalls = 0;
    await start(topic, groupId, async (m: unknown) => {
      const v = valueOf(m as InboundMessage);
      if (v.kind === 'poison') {
        poisonCalls++;
        throw new Error('poisoned');
      }
      handled.push(v.id);
    });
    await produceRaw(kafka, topic, [
      jsonRecord('k', { id: 'ok1', kind: 'ok' }),
      jsonRecord('k', { id: 'bad', kind: 'poison' }),
      jsonRecord('k', { id: 'ok2', kind: 'ok' }),
      jsonRecord('k', { id: 'ok3', kind: 'ok' }),
    ]);

    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 4, { what: 'offset 4 committed' });
    expect(handled).toEqual(['ok1', 'ok2', 'ok3']);
    expect(poisonCalls).toBe(3);
    const [dead] = await readTopic(kafka, dlqOf(topic), 1);
    expect(JSON.parse(dead.value!)).toEqual({ id: 'bad', kind: 'poison' });
    expect(dead.headers[DLQ_HEADERS.offset]).toBe('1');
    expect(await recordCount(kafka, dlqOf(topic))).toBe(1);
  });

  it('batch handler: a batch with a poison message is retried whole, then split so only the poison is dead-lettered', async () => {
    const topic = await createTopicPair(kafka, 'batch');
    const groupId = uniqueName('it-batch');
    const calls: string[][] = [];
    const handled: string[] = [];
    await start(
      topic,
      groupId,
      async (msgs: unknown) => {
        const ids = (msgs as InboundMessage[]).map((m) => valueOf(m).id);
        calls.push(ids);
        if ((msgs as InboundMessage[]).some((m) => valueOf(m).kind === 'poison')) throw new Error('batch contains poison');
        handled.push(...ids);
      },
      { batch: true },
    );
    const ids = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'];
    await produceRaw(kafka, topic, ids.map((id) => jsonRecord(`k-${id}`, { id, kind: id === 'b3' ? 'poison' : 'ok' })));

    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 6, { what: 'offset 6 committed' });
    // Three whole-batch attempts, then one call per message; the poison alone gets its own three attempts.
    expect(calls).toEqual([ids, ids, ids, ['b0'], ['b1'], ['b2'], ['b3'], ['b3'], ['b3'], ['b4'], ['b5']]);
    expect(handled).toEqual(['b0', 'b1', 'b2', 'b4', 'b5']);
    const [dead] = await readTopic(kafka, dlqOf(topic), 1);
    expect(dead.key).toBe('k-b3');
    expect(dead.headers[DLQ_HEADERS.error]).toBe('batch contains poison');
    expect(dead.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(dead.headers[DLQ_HEADERS.offset]).toBe('3');
    expect(await recordCount(kafka, dlqOf(topic))).toBe(1);
  });

  it('batch handler with batches of one keeps the real error and attempt count in the dead letter', async () => {
    const topic = await createTopicPair(kafka, 'batch1');
    const groupId = uniqueName('it-batch1');
    const attempts = new Map<string, number>();
    await start(
      topic,
      groupId,
      async (msgs: unknown) => {
        const [v] = (msgs as InboundMessage[]).map(valueOf);
        attempts.set(v.id, (attempts.get(v.id) ?? 0) + 1);
        if (v.kind === 'fail') throw new Error(`boom ${v.id}`);
        if (v.kind === 'permanent') throw new PermanentMessageError(`invalid ${v.id}`);
      },
      { batch: true, maxBatchSize: 1 },
    );
    await produceRaw(kafka, topic, [jsonRecord('a', { id: 'f', kind: 'fail' }), jsonRecord('b', { id: 'p', kind: 'permanent' }), jsonRecord('c', { id: 'o', kind: 'ok' })]);

    const dlq = await readTopic(kafka, dlqOf(topic), 2);
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 3, { what: 'offset 3 committed' });
    expect(Object.fromEntries(attempts)).toEqual({ f: 3, p: 1, o: 1 });
    const byKey = new Map(dlq.map((d) => [d.key, d.headers]));
    expect(byKey.get('a')?.[DLQ_HEADERS.error]).toBe('boom f');
    expect(byKey.get('a')?.[DLQ_HEADERS.attempts]).toBe('3');
    expect(byKey.get('b')?.[DLQ_HEADERS.error]).toBe('invalid p');
    expect(byKey.get('b')?.[DLQ_HEADERS.attempts]).toBe('1');
  });

  it('a transient failure recovers within maxAttempts and nothing is dead-lettered', async () => {
    const topic = await createTopicPair(kafka, 'flaky');
    const groupId = uniqueName('it-flaky');
    const seenAttempts: number[] = [];
    const handled: string[] = [];
    await start(topic, groupId, async (m: unknown, ctx) => {
      seenAttempts.push(ctx.getAttempt());
      if (ctx.getAttempt() < 3) throw new Error('database briefly unavailable');
      handled.push(valueOf(m as InboundMessage).id);
    });
    await produceRaw(kafka, topic, [jsonRecord('k', { id: 'fl1', kind: 'flaky' })]);

    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 1, { what: 'offset 1 committed' });
    expect(seenAttempts).toEqual([1, 2, 3]);
    expect(handled).toEqual(['fl1']);
    expect(await recordCount(kafka, dlqOf(topic))).toBe(0);
  });

  it('partitions are consumed concurrently: a slow handler on partition 0 does not hold partition 1 back', async () => {
    const topic = await createTopicPair(kafka, 'parallel', 2);
    const groupId = uniqueName('it-parallel');
    const slowStarted = deferred();
    const release = deferred();
    gates.push(release.resolve);
    const fast: string[] = [];
    // Written before the consumer starts (a new group reads from the beginning), so both
    // partitions come in its first fetch. kafkajs processes one fetch's batches side by side and
    // fetches again only when all are done: had partition 1 come alone, its handler would wait
    // for a slow message that could never arrive.
    await produceRaw(kafka, topic, [jsonRecord('s', { id: 'slow', kind: 'slow' }, 0), ...['f1', 'f2', 'f3', 'f4', 'f5'].map((id) => jsonRecord(id, { id, kind: 'ok' }, 1))]);
    await start(
      topic,
      groupId,
      async (m: unknown) => {
        const v = valueOf(m as InboundMessage);
        if (v.kind === 'slow') {
          slowStarted.resolve();
          await release.promise;
          return;
        }
        // Partition 1 only proceeds once partition 0 is stuck: a sequential consumer could never satisfy both.
        await slowStarted.promise;
        fast.push(v.id);
      },
      { partitionsConsumedConcurrently: 2 },
    );

    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(1) === 5, { what: 'partition 1 committed while partition 0 is blocked' });
    expect(fast).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(-1);

    release.resolve();
    await waitFor(async () => (await committedOffsets(kafka, groupId, topic)).get(0) === 1, { what: 'partition 0 committed after release' });
  });

  it('graceful close lets the in-flight handler finish and commits its offset', async () => {
    const topic = await createTopicPair(kafka, 'drain');
    const groupId = uniqueName('it-drain');
    const started = deferred();
    const release = deferred();
    gates.push(release.resolve);
    const handled: string[] = [];
    await start(topic, groupId, async (m: unknown) => {
      const v = valueOf(m as InboundMessage);
      if (v.kind === 'slow') {
        started.resolve();
        await release.promise;
      }
      handled.push(v.id);
    });
    await produceRaw(kafka, topic, [jsonRecord('k', { id: 'd1', kind: 'slow' }), jsonRecord('k', { id: 'd2', kind: 'ok' })]);
    await started.promise;

    const { app } = running.pop()!;
    const closing = app.close();
    setTimeout(release.resolve, 300);
    await closing;

    // The in-flight message finished and was committed; the next one was left for the next owner.
    expect(handled).toEqual(['d1']);
    expect((await committedOffsets(kafka, groupId, topic)).get(0)).toBe(1);
  });
});
