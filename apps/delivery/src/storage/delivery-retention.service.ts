import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, RetentionJob, type RetentionRun } from '@hookstream/platform';
import type { DeliveryConfig } from '../delivery.config';
import { DeliveriesRepository } from './deliveries.repository';

const DAY_MS = 86_400_000;

/**
 * Keeps `deliveries` and `delivery_attempts` bounded: every DELIVERY_RETENTION_INTERVAL_MS, the
 * deliveries created more than DELIVERY_RETENTION_DAYS ago are deleted with their attempts, in
 * statements of DELIVERY_RETENTION_BATCH (oldest first, SKIP LOCKED, so every replica may do it),
 * until none is left: retention keeps up with any delivery rate (`RetentionJob`).
 */
@Injectable()
export class DeliveryRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly job: RetentionJob;

  constructor(
    private readonly repo: DeliveriesRepository,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {
    this.job = new RetentionJob({
      table: 'deliveries',
      intervalMs: config.DELIVERY_RETENTION_INTERVAL_MS,
      batch: config.DELIVERY_RETENTION_BATCH,
      deleteChunk: async (limit) => {
        const r = await this.repo.purgeCreatedBefore(this.cutoff(), limit);
        return { deliveries: r.deliveries, delivery_attempts: r.attempts };
      },
      overdueSeconds: () => this.repo.secondsPastCutoff(this.cutoff()),
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  cutoff(now = new Date()): Date {
    return new Date(now.getTime() - this.config.DELIVERY_RETENTION_DAYS * DAY_MS);
  }

  /** One run: deletes everything past retention, chunk by chunk. */
  purge(): Promise<RetentionRun> {
    return this.job.run();
  }
}
