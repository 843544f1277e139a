import { configKey, Topics, topicPlan, type SourceSnapshot } from '@hookstream/contracts';
import { CoalescingProducer, ConfigStream, ensureTopics, type ConfigChange } from '../src';
import type { Kafka } from 'kafkajs';
import { connectedProducer, testKafka, uniqueName, waitFor } from './support/kafka-harness';

function source(id: string, version: number): SourceSnapshot {
  return {
    kind: 'source',
    id,
    accountId: 'acc-it',
    name: `source ${id} v${version}`,
    dialect: 'generic',
    enabled: true,
    tokens: [],
    signature: { kind: 'none' },
    dedupe: null,
    rateLimitPerSecond: null,
    initiatedFrom: 'api',
    listId: null,
    version,
    updatedAt: new Date().toISOString(),
  };
}

describe('ConfigStream on the real compacted config topic', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;
  let stream: ConfigStream | undefined;

  beforeAll(async () => {
    kafka = testKafka('it-kafka-config');
    await ensureTopics(kafka, topicPlan().filter((t) => t.name === Topics.config));
    producer = await connectedProducer(kafka);
  });

  afterAll(async () => {
    await stream?.stop();
    await producer.disconnect();
  });

  it('ready() resolves once the existing snapshots are applied, then a later change arrives within 1 s', async () => {
    const [a, b, c] = [uniqueName('src-a'), uniqueName('src-b'), uniqueName('src-c')];
    const ours = new Set([a, b, c]);
    await producer.send(Topics.config, [
      { key: configKey('source', a), value: source(a, 1) },
      { key: configKey('source', b), value: source(b, 1) },
      { key: configKey('source', a), value: source(a, 2) },
    ]);
    await producer.send(Topics.config, [{ key: configKey('source', b), value: null }]);

    const state = new Map<string, SourceSnapshot | null>();
    const history: string[] = [];
    const arrivals = new Map<string, number>();
    stream = new ConfigStream(kafka, 'it-config');
    stream.onChange((ch: ConfigChange) => {
      if (ch.kind !== 'source' || !ours.has(ch.id)) return;
      state.set(ch.id, ch.snapshot as SourceSnapshot | null);
      history.push(`${ch.id}@${ch.snapshot ? (ch.snapshot as SourceSnapshot).version : 'deleted'}`);
      arrivals.set(`${ch.id}@${ch.snapshot ? (ch.snapshot as SourceSnapshot).version : 'deleted'}`, Date.now());
    });
    expect(stream.isReady).toBe(false);
    await stream.start();
    await stream.ready();

    // Everything published before start() is applied by the time ready() resolves.
    expect(stream.isReady).toBe(true);
    expect(state.get(a)?.version).toBe(2);
    expect(state.has(b)).toBe(true);
    expect(state.get(b)).toBeNull();
    expect(state.has(c)).toBe(false);
    // Compaction may drop superseded values, but never reorders what a key went through.
    expect(history.filter((h) => h.startsWith(a)).at(-1)).toBe(`${a}@2`);
    expect(history.filter((h) => h.startsWith(b)).at(-1)).toBe(`${b}@deleted`);

    const t0 = Date.now();
    await producer.send(Topics.config, [{ key: configKey('source', c), value: source(c, 1) }]);
    await waitFor(() => state.get(c)?.version === 1, { timeoutMs: 1000, intervalMs: 10, what: 'change to reach onChange within 1 s' });
    expect(arrivals.get(`${c}@1`)! - t0).toBeLessThan(1000);
  });
});
