import type { Kafka } from 'kafkajs';
import { CoalescingProducer, type ConsumerObserver, type InboundMessage } from '../src';
import { connectedProducer, createTopicPair, deferred, handlerModule, jsonRecord, produceRaw, startConsumer, testKafka, uniqueName, waitFor, type RunningConsumer } from './support/kafka-harness';

/** Keeps what the transport reports about lag (the metrics observer's inputs). */
class LagRecorder implements ConsumerObserver {
  readonly batchLag = new Map<string, number>();
  readonly sampled = new Map<string, number>();
  assignment = new Map<string, readonly number[]>();
  batchStarted(topic: string, partition: number, _messages: number, lag: number): void {
    this.batchLag.set(`${topic}[${partition}]`, lag);
  }
  committed(topic: string, partition: number, _handled: number, lag: number): void {
    this.batchLag.set(`${topic}[${partition}]`, lag);
  }
  readonly other: string[] = [];
  batchFinished(topic: string): void {
    this.other.push(`finished ${topic}`);
  }
  handlerFailed(topic: string): void {
    this.other.push(`failed ${topic}`);
  }
  redelivered(topic: string): void {
    this.other.push(`redelivered ${topic}`);
  }
  deadLettered(topic: string): void {
    this.other.push(`dead-lettered ${topic}`);
  }
  lagSampled(topic: string, partition: number, lag: number): void {
    this.sampled.set(`${topic}[${partition}]`, lag);
  }
  assigned(partitions: ReadonlyMap<string, readonly number[]>): void {
    this.assignment = new Map(partitions);
  }
}

describe('consumer lag while a handler is stuck (real broker)', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  let running: RunningConsumer | undefined;
  const gate = deferred();

  beforeAll(async () => {
    kafka = testKafka('it-kafka-lag');
    producer = await connectedProducer(kafka);
  });
  afterAll(async () => {
    gate.resolve();
    await running?.app.close();
    await producer.disconnect();
  });

  it('the sampled lag grows with what arrives behind a stuck batch, and falls to 0 once it is committed', async () => {
    const topic = await createTopicPair(kafka, 'lag');
    const observer = new LagRecorder();
    const entered = deferred();
    let handled = 0;
    running = await startConsumer(
      handlerModule(topic, async (m: unknown) => {
        if ((m as InboundMessage).value && ((m as InboundMessage).value as { n: number }).n === 0) {
          entered.resolve();
          await gate.promise;
        }
        handled++;
      }),
      { kafka, producer, groupId: uniqueName('it-lag'), observer, lagSampleIntervalMs: 200 },
    );
    await waitFor(() => (observer.assignment.get(topic)?.includes(0) ? true : undefined), { what: 'partition 0 assigned' });

    await produceRaw(kafka, topic, [jsonRecord('k', { n: 0 })]);
    await entered.promise;
    // Stuck on message 0; 40 more arrive behind it. The batch in hand knows of 1 record only.
    await produceRaw(kafka, topic, Array.from({ length: 40 }, (_, i) => jsonRecord('k', { n: i + 1 })));
    await waitFor(() => ((observer.sampled.get(`${topic}[0]`) ?? 0) >= 41 ? true : undefined), { timeoutMs: 10_000, what: 'sampled lag of 41' });
    expect(observer.batchLag.get(`${topic}[0]`)).toBe(1);
    expect(handled).toBe(0);
    expect(observer.other).toEqual([]);

    gate.resolve();
    await waitFor(() => (handled === 41 ? true : undefined), { timeoutMs: 15_000, what: 'all 41 handled' });
    await waitFor(() => (observer.sampled.get(`${topic}[0]`) === 0 ? true : undefined), { timeoutMs: 10_000, what: 'sampled lag back to 0' });
  });
});
