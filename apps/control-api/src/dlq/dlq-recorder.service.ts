import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { dlqOf, IdPrefix, newId, topicPlan } from '@hookstream/contracts';
import { retryKafkaBootStep } from '@hookstream/kafka';
import { APP_CONFIG, HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import type { Consumer, Kafka } from 'kafkajs';
import type { ControlApiConfig } from '../control-api.config';
import { recordOf } from './dlq-record';
import { DlqRepository } from './dlq.repository';

export const DLQ_RECORDER_GROUP = 'hookstream-control-api-dlq';

/** Every dead-letter topic of the topic plan. */
export function dlqTopics(): string[] {
  return topicPlan()
    .filter((t) => t.consumed)
    .map((t) => dlqOf(t.name));
}

/**
 * Records every message of the `*.dlq` topics in `dlq_messages`, so they can be listed, replayed
 * or discarded (`DlqService`). A plain consumer group, not the app's transport: a dead letter is
 * often not valid JSON (that may be why it is there), and the transport would dead-letter it again.
 * Raw bytes are stored; the offset is committed only after the insert (idempotent on the DLQ
 * position), so nothing is lost and nothing recorded twice.
 */
@Injectable()
export class DlqRecorderService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('DlqRecorder');
  private consumer?: Consumer;
  private joined = false;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
    private readonly repo: DlqRepository,
    private readonly health: HealthRegistry,
  ) {}

  get groupId(): string {
    return `${DLQ_RECORDER_GROUP}${this.config.KAFKA_GROUP_SUFFIX}`;
  }

  /** Deletes records past DLQ_RECORD_RETENTION_DAYS (the `*.dlq` topics themselves keep 30 days). */
  async sweep(): Promise<number> {
    const n = await this.repo.deleteOlderThan(this.config.DLQ_RECORD_RETENTION_DAYS);
    if (n > 0) this.log.log(`deleted ${n} dead-letter record(s) older than ${this.config.DLQ_RECORD_RETENTION_DAYS} days`);
    return n;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.DLQ_RECORDER_ENABLED !== 'true') return;
    this.sweepTimer = setInterval(() => void this.sweep().catch((err: unknown) => this.log.error({ err, msg: 'dead-letter retention sweep failed; retried next interval' })), this.config.FEED_MAINTENANCE_INTERVAL_MS);
    this.sweepTimer.unref();
    this.health.add({ name: 'dlq-recorder', check: async () => ({ ok: this.joined, detail: this.joined ? `group ${this.groupId}` : 'joining' }) });
    // A cluster still starting is waited for (not ready meanwhile), never fatal.
    await retryKafkaBootStep(() => this.startConsumer(), {
      what: `join consumer group ${this.groupId}`,
      log: (m) => this.log.warn(m),
      onFailure: async () => {
        const c = this.consumer;
        this.consumer = undefined;
        await c?.disconnect();
      },
    });
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      this.log.error({ err: e.payload.error, msg: 'DLQ recorder crashed; kafkajs restarts it' });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: dlqTopics(), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
        if (batch.messages.length === 0) return;
        const rows = batch.messages.map((m) => ({ id: newId(IdPrefix.dlqMessage), ...recordOf(batch.topic, batch.partition, m) }));
        // A failure throws: kafkajs retries the batch, nothing is committed before the insert.
        await this.repo.record(rows);
        const last = batch.messages[batch.messages.length - 1].offset;
        resolveOffset(last);
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
        await heartbeat();
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const c = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    if (c) {
      await c.stop();
      await c.disconnect();
    }
  }
}
