import { Inject, Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { configKey, Topics, topicPlan, type SourceSnapshot } from '@hookstream/contracts';
import { CoalescingProducer, ConfigStream, ensureTopics, type ConfigChange } from '@hookstream/kafka';
// The shared integration helpers live in the testing lib, which builds on this lib; only this
// test crosses that line, the lib's sources never do.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { Kafka } from 'kafkajs';
import { ConfigCache, HealthRegistry, KAFKA_CLIENT } from '../src';

function source(id: string, version: number): SourceSnapshot {
  return {
    kind: 'source', id, accountId: 'acc-it', name: `source ${id} v${version}`, dialect: 'generic', enabled: true, tokens: [],
    signature: { kind: 'none' }, dedupe: null, rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version, updatedAt: new Date().toISOString(),
  };
}

/** The shape every app's config cache has (the gateway's SourceCache, reduced to this test's sources). */
const ours = new Set<string>();
@Injectable()
class TestSourceCache extends ConfigCache {
  readonly sources = new Map<string, SourceSnapshot>();
  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, health: HealthRegistry) {
    super(new ConfigStream(kafka, 'it-config-cache'), health);
  }
  protected apply(c: ConfigChange): void {
    if (c.kind !== 'source' || !ours.has(c.id)) return;
    if (c.snapshot?.kind === 'source') this.sources.set(c.id, c.snapshot);
    else this.sources.delete(c.id);
  }
  protected describe(): string {
    return `${this.sources.size} source(s)`;
  }
}

describe('ConfigCache in a Nest app on the real config topic', () => {
  let kafka: Kafka;
  let producer: CoalescingProducer;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    kafka = testKafka('it-platform-config-cache');
    await ensureTopics(kafka, topicPlan().filter((t) => t.name === Topics.config));
    producer = new CoalescingProducer(kafka, { sendTimeoutMs: 10_000 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  it('init returns with the topic applied and the config check green; later changes arrive; close() leaves no consumer', async () => {
    const [a, b, c] = [uniqueName('src-a'), uniqueName('src-b'), uniqueName('src-c')];
    for (const id of [a, b, c]) ours.add(id);
    await producer.send(Topics.config, [
      { key: configKey('source', a), value: source(a, 1) },
      { key: configKey('source', b), value: source(b, 1) },
      { key: configKey('source', a), value: source(a, 2) },
    ]);
    await producer.send(Topics.config, [{ key: configKey('source', b), value: null }]);

    const app = await Test.createTestingModule({
      providers: [{ provide: KAFKA_CLIENT, useValue: kafka }, HealthRegistry, TestSourceCache],
    }).compile();
    await app.init();
    try {
      const cache = app.get(TestSourceCache);
      expect(cache.isReady).toBe(true);
      expect([...cache.sources.keys()]).toEqual([a]);
      expect(cache.sources.get(a)?.version).toBe(2);
      expect(await app.get(HealthRegistry).evaluate()).toEqual({ ok: true, checks: { config: { ok: true, detail: '1 source(s)' } } });

      await producer.send(Topics.config, [{ key: configKey('source', c), value: source(c, 1) }]);
      await waitFor(() => cache.sources.get(c)?.version === 1, { what: 'a change published after init to reach the cache' });
    } finally {
      await app.close();
    }
    // The cache's private group is gone once its consumer left: nothing keeps following the topic.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('hookstream-config-it-config-cache-'));
      const described = await admin.describeGroups(groups.map((g) => g.groupId));
      expect(described.groups.every((g) => g.members.length === 0)).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});
