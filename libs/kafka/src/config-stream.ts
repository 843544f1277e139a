import { Topics, parseConfigKey, type ConfigKind, type ConfigSnapshot } from '@hookstream/contracts';
import { Logger } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { retryKafkaBootStep } from './boot-retry';
import { fetchTuning } from './kafka-connection';

export interface ConfigChange {
  kind: ConfigKind;
  id: string;
  /** null = deleted. */
  snapshot: ConfigSnapshot | null;
}

/**
 * Follows the compacted config topic from the beginning, in every replica, so each process keeps
 * an in-memory view of sources, endpoints and automations (no database read per request/event).
 * `ready()` resolves once everything that was on the topic at start has been applied.
 */
export class ConfigStream {
  private consumer?: Consumer;
  private readonly listeners: ((c: ConfigChange) => void)[] = [];
  private readyResolve!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.readyResolve = r));
  private caughtUp = false;

  constructor(private readonly kafka: Kafka, private readonly app: string) {}

  onChange(listener: (c: ConfigChange) => void): void {
    this.listeners.push(listener);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  get isReady(): boolean {
    return this.caughtUp;
  }

  /** Until it runs: a cluster that is still starting (no leader, coordinator loading) is waited for. */
  async start(): Promise<void> {
    const log = new Logger(ConfigStream.name);
    await retryKafkaBootStep(() => this.startOnce(), {
      what: `follow ${Topics.config}`,
      log: (m) => log.warn(m),
      onFailure: async () => {
        const c = this.consumer;
        this.consumer = undefined;
        await c?.disconnect();
      },
    });
  }

  private async startOnce(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
    try {
      offsets = await admin.fetchTopicOffsets(Topics.config);
    } finally {
      await admin.disconnect();
    }
    const pending = new Map<number, bigint>();
    for (const o of offsets) {
      const high = BigInt(o.high);
      if (high > BigInt(o.low)) pending.set(o.partition, high - 1n);
    }
    const markIfCaughtUp = () => {
      if (!this.caughtUp && pending.size === 0) {
        this.caughtUp = true;
        this.readyResolve();
      }
    };
    markIfCaughtUp();
    // A private group per process: every replica must see every change.
    const groupId = `hookstream-config-${this.app}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    // An idle follower asks every KAFKA_FOLLOWER_MAX_WAIT_MS; a change is returned the moment it lands.
    this.consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: fetchTuning(this.kafka).followerMaxWaitMs, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.config], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8');
        const parsed = key ? parseConfigKey(key) : undefined;
        if (parsed) {
          let snapshot: ConfigSnapshot | null = null;
          if (message.value && message.value.length > 0) {
            try {
              snapshot = JSON.parse(message.value.toString('utf8')) as ConfigSnapshot;
            } catch {
              snapshot = null;
            }
          }
          const change: ConfigChange = { kind: parsed.kind, id: parsed.id, snapshot };
          for (const l of this.listeners) l(change);
        }
        const target = pending.get(partition);
        if (target !== undefined && BigInt(message.offset) >= target) {
          pending.delete(partition);
          markIfCaughtUp();
        }
      },
    });
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (!c) return;
    await c.stop();
    // No offsets are ever committed, so the throwaway group vanishes from the broker once empty.
    await c.disconnect();
  }
}
