import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { APP_CONFIG } from '@hookstream/platform';
import type { DeliveryConfig } from '../delivery.config';
import { DeliveriesRepository } from './deliveries.repository';

const DAY_MS = 86_400_000;
/** Batches per run: a large first purge is spread over several intervals instead of one long burst. */
const MAX_BATCHES_PER_RUN = 200;

/**
 * Keeps `deliveries` and `delivery_attempts` bounded: every DELIVERY_RETENTION_INTERVAL_MS, the
 * deliveries created more than DELIVERY_RETENTION_DAYS ago are deleted with their attempts, in
 * batches of DELIVERY_RETENTION_BATCH (oldest first, SKIP LOCKED, so every replica may do it).
 */
@Injectable()
export class DeliveryRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeliveryRetentionService.name);
  private timer?: NodeJS.Timeout;
  private current: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: DeliveriesRepository,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // A failed run is retried at the next interval; rows past retention simply wait for it.
      this.current = this.purge().catch((err: unknown) => this.log.warn(`delivery retention failed, retried in ${this.config.DELIVERY_RETENTION_INTERVAL_MS} ms: ${errorMessage(err)}`));
    }, this.config.DELIVERY_RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.current;
  }

  cutoff(now = new Date()): Date {
    return new Date(now.getTime() - this.config.DELIVERY_RETENTION_DAYS * DAY_MS);
  }

  /** One run: deletes what is past retention (bounded); returns how much it deleted. */
  async purge(now = new Date()): Promise<{ deliveries: number; attempts: number }> {
    const cutoff = this.cutoff(now);
    const total = { deliveries: 0, attempts: 0 };
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const r = await this.repo.purgeCreatedBefore(cutoff, this.config.DELIVERY_RETENTION_BATCH);
      total.deliveries += r.deliveries;
      total.attempts += r.attempts;
      if (r.deliveries < this.config.DELIVERY_RETENTION_BATCH) break;
    }
    if (total.deliveries > 0) this.log.log(`retention: deleted ${total.deliveries} deliveries and ${total.attempts} attempts created before ${cutoff.toISOString()}`);
    return total;
  }
}
