import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, RetentionJob, type RetentionRun } from '@hookstream/platform';
import type { ValidatorConfig } from '../validator.config';
import { DedupeRepository } from './dedupe.repository';

/**
 * Keeps dedupe_keys bounded: every DEDUPE_PURGE_INTERVAL_MS, expired keys are deleted in
 * statements of DEDUPE_PURGE_BATCH until none is left, so the purge keeps up with any event rate
 * (`RetentionJob`).
 */
@Injectable()
export class DedupePurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly job: RetentionJob;

  constructor(repo: DedupeRepository, @Inject(APP_CONFIG) config: ValidatorConfig) {
    this.job = new RetentionJob({
      table: 'dedupe_keys',
      intervalMs: config.DEDUPE_PURGE_INTERVAL_MS,
      batch: config.DEDUPE_PURGE_BATCH,
      deleteChunk: async (limit) => ({ dedupe_keys: await repo.purgeExpired(limit) }),
      overdueSeconds: () => repo.secondsExpired(),
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One run: deletes every expired key, chunk by chunk. */
  purge(): Promise<RetentionRun> {
    return this.job.run();
  }
}
