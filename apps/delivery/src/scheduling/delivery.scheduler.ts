import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { APP_CONFIG } from '@hookstream/platform';
import { crowdedLaneThreshold, dispatcherBuffer, type DeliveryConfig } from '../delivery.config';
import { EndpointCache } from '../config-cache/endpoint.cache';
import { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';
import { DeliveriesRepository } from '../storage/deliveries.repository';

/** How often a scheduler that is catching up on a backlog looks for room (no query unless there is). */
const CATCH_UP_POLL_MS = 50;

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
  private catchingUp = false;
  /**
   * Lanes a claim left out because they were crowded, while rows may be due for them (the claim
   * found less than it had room for), and when: the scheduler looks at them every catch-up poll, in
   * memory, and claims as soon as one has drained — instead of a whole `DELIVERY_POLL_MS` later.
   */
  private waitingFor: { endpointIds: string[]; since: number } | null = null;

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

  /**
   * One poll. While catching up (the last claim took all the room it had, or there was no room:
   * the table may hold due rows, e.g. a burst's overflow), it looks again every
   * `catchUpPollMs` and claims once a quarter of a claim batch is free, so a backlog drains at the
   * dispatcher's pace instead of one claim per `DELIVERY_POLL_MS`. The in-memory room check is
   * free; the database is asked only when there is room worth filling. Idle, it polls every
   * `DELIVERY_POLL_MS`.
   */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let claimed = 0;
    let next = this.config.DELIVERY_POLL_MS;
    try {
      await this.endpoints.ready();
      const crowded = this.dispatcher.crowdedLanes(this.crowdedThreshold());
      const room = this.room(crowded.backlog);
      if (this.waitingFor && (Date.now() - this.waitingFor.since >= this.config.DELIVERY_POLL_MS || this.waitingFor.endpointIds.some((id) => !crowded.endpointIds.includes(id)))) {
        this.waitingFor = null;
      }
      if (this.waitingFor) {
        // The lanes the last claim left out are all still crowded: nothing to ask the table for yet.
        next = this.catchUpPollMs();
      } else if (room === 0 || (this.catchingUp && room < Math.max(1, Math.floor(this.maxRoom() / 4)))) {
        this.catchingUp = true;
        next = this.catchUpPollMs();
      } else {
        // Taken before the claim is sent: the lease it writes ends no earlier than this plus its length.
        const leaseUntil = performance.now() + this.config.DELIVERY_LEASE_SECONDS * 1000;
        const rows = await this.repo.claimDue(room, this.config.DELIVERY_LEASE_SECONDS, crowded.endpointIds);
        claimed = rows.length;
        const refused = rows.filter(
          ({ request, attempts, createdAt, ...row }) => !this.dispatcher.submit({ ...row, request, leased: { leaseUntil, createdAt, attempts } }),
        );
        // Filled up meanwhile: back in the table at once rather than after the lease.
        await this.repo.release(refused, new Date(Date.now() + this.config.DELIVERY_POLL_MS));
        this.catchingUp = claimed === room;
        if (this.catchingUp) next = claimed === this.config.DELIVERY_CLAIM_BATCH ? 0 : this.catchUpPollMs();
        else if (crowded.endpointIds.length > 0) {
          // Rows of the crowded lanes may be due (a burst's overflow): claim them as soon as a lane drains.
          this.waitingFor = { endpointIds: crowded.endpointIds, since: Date.now() };
          next = this.catchUpPollMs();
        }
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

  private catchUpPollMs(): number {
    return Math.min(this.config.DELIVERY_POLL_MS, CATCH_UP_POLL_MS);
  }

  private maxRoom(): number {
    return Math.min(this.config.DELIVERY_CLAIM_BATCH, this.buffer());
  }

  private buffer(): number {
    return dispatcherBuffer(this.config);
  }

  /**
   * Claim no more than the dispatcher can start soon; the rest stay unclaimed for other
   * replicas. Crowded lanes (a slow endpoint's full queue) are not claimed for and their
   * backlog does not use up the room of the others.
   */
  private room(crowdedBacklog: number): number {
    const s = this.dispatcher.stats();
    const backlog = s.queued + s.inFlight - crowdedBacklog;
    // Within the bound on all queues together (DELIVERY_MAX_QUEUED): rows beyond it would be refused.
    return Math.max(0, Math.min(this.maxRoom(), this.buffer() - backlog, this.dispatcher.totalQueueRoom()));
  }

  /** A lane with half its queue in use gets no more rows from the table for now. */
  private crowdedThreshold(): number {
    return crowdedLaneThreshold(this.config);
  }
}
