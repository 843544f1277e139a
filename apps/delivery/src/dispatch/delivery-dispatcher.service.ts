import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { APP_CONFIG } from '@hookstream/platform';
import { Dispatcher, type DispatcherStats } from './dispatcher';
import type { DeliveryConfig } from '../delivery.config';
import { EndpointCache } from '../config-cache/endpoint.cache';
import { AttemptService, type DeliveryJob } from '../attempts/attempt.service';

/**
 * The process's one dispatcher: per-endpoint lanes (concurrency, rate limit, circuit) under a
 * global in-flight cap. Anything it cannot hold is still in the table, leased, and comes back
 * through the scheduler.
 */
@Injectable()
export class DeliveryDispatcher implements BeforeApplicationShutdown {
  private readonly log = new Logger(DeliveryDispatcher.name);
  private readonly dispatcher: Dispatcher<DeliveryJob>;

  constructor(
    private readonly attempts: AttemptService,
    endpoints: EndpointCache,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {
    this.dispatcher = new Dispatcher<DeliveryJob>({
      maxInFlight: config.DELIVERY_MAX_IN_FLIGHT,
      maxQueuePerEndpoint: config.DELIVERY_MAX_QUEUE_PER_ENDPOINT,
      limits: (id) => endpoints.limits(id),
      run: (job) => attempts.run(job),
      deferred: (job, at) => attempts.defer(job, at),
      circuit: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS },
      // The row keeps its lease and the scheduler picks it up again; nothing is lost here.
      onError: (err, job) => this.log.error(`delivery ${job.id} (endpoint ${job.endpointId}): ${errorMessage(err)}; it will be retried after its lease`),
    });
  }

  /** false: the endpoint's in-memory queue is full; the row waits in the table. */
  submit(job: DeliveryJob): boolean {
    return this.dispatcher.submit(job);
  }

  /** The endpoint was deleted: its lane, breaker and queued jobs go (the rows are in the table). */
  forget(endpointId: string): number {
    return this.dispatcher.forget(endpointId);
  }

  crowdedLanes(threshold: number): { endpointIds: string[]; backlog: number } {
    return this.dispatcher.crowdedLanes(threshold);
  }

  openCircuits(): number {
    return this.dispatcher.openCircuits();
  }

  stats(): DispatcherStats {
    return this.dispatcher.stats();
  }

  idle(timeoutMs?: number): Promise<boolean> {
    return this.dispatcher.idle(timeoutMs);
  }

  /** Lets in-flight attempts finish and record (bounded); queued ones stay leased in the table. */
  async beforeApplicationShutdown(): Promise<void> {
    this.dispatcher.stop();
    const bound = Math.max(500, Math.floor(this.config.SHUTDOWN_TIMEOUT_MS * 0.6));
    const t0 = Date.now();
    const done = await this.dispatcher.idle(bound);
    if (!done) this.log.warn(`${this.dispatcher.stats().inFlight} attempt(s) still in flight at shutdown; their leases hand them to another replica`);
    // Results of recorded attempts are published after the attempt's slot is freed: let them land.
    if (!(await this.attempts.drain(Math.max(200, bound - (Date.now() - t0))))) this.log.warn('some attempt results were still being published at shutdown');
  }
}
