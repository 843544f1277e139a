import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { errorMessage } from '@hookstream/kafka';
import { APP_CONFIG } from '@hookstream/platform';
import type { DeliveryConfig } from '../delivery.config';
import { EndpointCache } from '../endpoints/endpoint-cache.service';
import { DeliveryDispatcher } from './delivery-dispatcher.service';
import { DeliveriesRepository } from './deliveries.repository';

/**
 * Durable retries: every poll claims due rows (`FOR UPDATE SKIP LOCKED`, so replicas share
 * the work) with a lease and dispatches them. This is also how rows come back after a crash,
 * a full in-memory queue, an open circuit or a "retry now".
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(DeliveryScheduler.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private current: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly endpoints: EndpointCache,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, ms);
  }

  /** One poll; claims again at once while it keeps finding a full batch (catching up). */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let claimed = 0;
    let next = this.config.DELIVERY_POLL_MS;
    try {
      await this.endpoints.ready();
      const crowded = this.dispatcher.crowdedLanes(this.crowdedThreshold());
      const room = this.room(crowded.backlog);
      if (room > 0) {
        const rows = await this.repo.claimDue(room, this.config.DELIVERY_LEASE_SECONDS, crowded.endpointIds);
        claimed = rows.length;
        const refused = rows.filter((row) => !this.dispatcher.submit(row));
        // Filled up meanwhile: back in the table at once rather than after the lease.
        await this.repo.release(refused, new Date(Date.now() + this.config.DELIVERY_POLL_MS));
        if (claimed === room && claimed === this.config.DELIVERY_CLAIM_BATCH) next = 0;
      }
    } catch (err) {
      // The next poll is the retry; claimed rows keep their lease and come back after it.
      this.log.error(`scheduler poll failed: ${errorMessage(err)}`);
    } finally {
      this.running = false;
      this.schedule(next);
    }
    return claimed;
  }

  /**
   * Claim no more than the dispatcher can start soon; the rest stay unclaimed for other
   * replicas. Crowded lanes (a slow endpoint's full queue) are not claimed for and their
   * backlog does not use up the room of the others.
   */
  private room(crowdedBacklog: number): number {
    const s = this.dispatcher.stats();
    const backlog = s.queued + s.inFlight - crowdedBacklog;
    return Math.max(0, Math.min(this.config.DELIVERY_CLAIM_BATCH, this.config.DELIVERY_MAX_IN_FLIGHT * 4 - backlog));
  }

  /** A lane with half its queue in use gets no more rows from the table for now. */
  private crowdedThreshold(): number {
    return Math.max(1, Math.floor(this.config.DELIVERY_MAX_QUEUE_PER_ENDPOINT / 2));
  }
}
