import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { dlqOf, IdPrefix, newId, topicPlan } from '@hookstream/contracts';
import { SupervisedConsumer } from '@hookstream/kafka';
import { HealthRegistry, KAFKA_CLIENT } from '@hookstream/platform';
import type { Consumer, Kafka } from 'kafkajs';
import { recordOf } from './dlq-record';
import { DLQ_RECORDER_SETTINGS, type DlqRecorderSettings } from './dlq-recorder.settings';
import { DlqRepository } from './dlq.repository';

/**
 * Kept from when control-api ran the recorder: the group's committed offsets carry over, so the
 * move to apps/projector does not re-read 30 days of `*.dlq` (it would be harmless: recording is
 * idempotent on the DLQ position).
 */
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
 * position), so nothing is lost and nothing recorded twice. It recovers like every consumer
 * (`SupervisedConsumer`): one that crashed for good or stopped fetching is replaced.
 */
@Injectable()
export class DlqRecorderService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('DlqRecorder');
  private recorder?: SupervisedConsumer;
  /** Batches being recorded: a long insert is not a stall. */
  private recording = 0;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(DLQ_RECORDER_SETTINGS) private readonly config: DlqRecorderSettings,
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
    const recorder = new SupervisedConsumer({
      label: `group ${this.groupId}`,
      bootWhat: `join consumer group ${this.groupId}`,
      create: () => this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false }),
      run: (consumer) => this.runRecorder(consumer),
      busy: () => this.recording > 0,
      logger: this.log,
    });
    this.recorder = recorder;
    this.health.add({ name: 'dlq-recorder', check: async () => recorder.health() });
    // A cluster still starting is waited for (not ready meanwhile), never fatal.
    await recorder.start();
  }

  private async runRecorder(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: dlqTopics(), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
        if (batch.messages.length === 0) return;
        this.recording++;
        try {
          const rows = batch.messages.map((m) => ({ id: newId(IdPrefix.dlqMessage), ...recordOf(batch.topic, batch.partition, m) }));
          // A failure throws: kafkajs retries the batch, nothing is committed before the insert.
          await this.repo.record(rows);
          const last = batch.messages[batch.messages.length - 1].offset;
          resolveOffset(last);
          await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
          await heartbeat();
        } finally {
          this.recording--;
          this.recorder?.progress();
        }
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.recorder?.stop();
  }
}
