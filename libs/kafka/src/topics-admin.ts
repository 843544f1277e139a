import { errorMessage, type TopicSpec } from '@hookstream/contracts';
import type { Kafka } from 'kafkajs';

export interface TopicReplication {
  /** Replicas per partition (KAFKA_REPLICATION_FACTOR). */
  replicationFactor: number;
  /** `min.insync.replicas` (KAFKA_MIN_INSYNC_REPLICAS): with acks=all a write needs this many in-sync replicas. */
  minInsyncReplicas: number;
}

/** From a validated config; the one way apps, the CLI and harnesses read the replication settings. */
export function topicReplication(cfg: { KAFKA_REPLICATION_FACTOR: number; KAFKA_MIN_INSYNC_REPLICAS: number }): TopicReplication {
  return { replicationFactor: cfg.KAFKA_REPLICATION_FACTOR, minInsyncReplicas: cfg.KAFKA_MIN_INSYNC_REPLICAS };
}

/**
 * Creates missing topics with their partitions, replication, `min.insync.replicas`, retention and
 * cleanup policy. Existing ones are left alone (changing a live topic is an operator's decision:
 * `kafka-configs` / Strimzi `KafkaTopic`). A number is the replication factor with min.insync 1.
 */
export async function ensureTopics(kafka: Kafka, plan: TopicSpec[], replication: TopicReplication | number = 1): Promise<string[]> {
  const { replicationFactor, minInsyncReplicas } = typeof replication === 'number' ? { replicationFactor: replication, minInsyncReplicas: 1 } : replication;
  if (minInsyncReplicas > replicationFactor) {
    throw new Error(`min.insync.replicas ${minInsyncReplicas} exceeds the replication factor ${replicationFactor}: every acks=all write would be refused (KAFKA_MIN_INSYNC_REPLICAS, KAFKA_REPLICATION_FACTOR)`);
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      const { brokers } = await admin.describeCluster();
      if (brokers.length < replicationFactor) {
        throw new Error(`KAFKA_REPLICATION_FACTOR=${replicationFactor} but the cluster at ${brokers.map((b) => `${b.host}:${b.port}`).join(',')} has ${brokers.length} broker(s): lower it or add brokers`);
      }
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
            { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
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
      return { ok: false, detail: errorMessage(err) };
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
