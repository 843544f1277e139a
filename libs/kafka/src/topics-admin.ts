import type { TopicSpec } from '@hookstream/contracts';
import type { Kafka } from 'kafkajs';

/** Creates missing topics with their partitions, retention and cleanup policy. Existing ones are left alone. */
export async function ensureTopics(kafka: Kafka, plan: TopicSpec[], replicationFactor = 1): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor,
          configEntries: [
            { name: 'cleanup.policy', value: t.cleanupPolicy },
            { name: 'retention.ms', value: String(t.retentionMs) },
            { name: 'max.message.bytes', value: String(t.maxMessageBytes) },
            ...(t.cleanupPolicy === 'compact' ? [{ name: 'min.cleanable.dirty.ratio', value: '0.1' }] : []),
          ],
        })),
      });
    }
    // A new topic's leaders may not be known to every request path yet ("not the leader") — also
    // when another process created it a moment ago: wait until each answers a ListOffsets, so
    // callers can use every topic right away.
    for (const t of plan) await waitUntilServing(admin, t.name);
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

/** Readiness probe: the cluster answers a metadata request within the timeout. */
export class KafkaHealth {
  constructor(private readonly kafka: Kafka, private readonly timeoutMs = 2000) {}

  async check(): Promise<{ ok: boolean; detail: string }> {
    const admin = this.kafka.admin();
    const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs).unref());
    try {
      await Promise.race([admin.connect(), timeout]);
      const c = await Promise.race([admin.describeCluster(), timeout]);
      return { ok: true, detail: `${c.brokers.length} broker(s), controller ${c.controller}` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    } finally {
      void admin.disconnect().catch(() => undefined);
    }
  }
}

async function waitUntilServing(admin: ReturnType<Kafka['admin']>, topic: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await admin.fetchTopicOffsets(topic);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
