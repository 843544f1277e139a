import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { APP_CONFIG, histogram, LATENCY_BUCKETS } from '@hookstream/platform';
import { AttemptService, type DeliveryJob } from '../attempts/attempt.service';
import { EndpointCache } from '../config-cache/endpoint.cache';
import type { DeliveryConfig } from '../delivery.config';
import { DeliveriesRepository } from '../storage/deliveries.repository';
import { Dispatcher } from './dispatcher';

const log = new Logger('DeliveryDispatcher');

/**
 * The part of a delivery's latency spent before its attempt starts, once this process holds it:
 * a wait here is the endpoint's `maxConcurrency` or rate limit, DELIVERY_MAX_IN_FLIGHT or
 * DELIVERY_MAX_RECORDING, or an event loop too busy to start it (see apps/delivery/README.md,
 * "Reading a latency tail").
 */
const queueWait = histogram({
  name: 'hookstream_delivery_queue_wait_seconds',
  help: "Time a delivery waited in its endpoint's in-memory queue before its attempt started",
  buckets: LATENCY_BUCKETS,
});

/**
 * The process's one dispatcher: per-endpoint lanes (concurrency, rate limit, circuit) under a
 * global cap on requests in flight and one on attempts being recorded, wired to the attempts, the
 * endpoints' limits and the table. Anything it cannot hold is still in the table, leased, and comes
 * back through the scheduler. Callers use the Dispatcher's own methods; this class only wires it
 * and drains it at shutdown.
 */
@Injectable()
export class DeliveryDispatcher extends Dispatcher<DeliveryJob> implements BeforeApplicationShutdown {
  constructor(
    private readonly attempts: AttemptService,
    repo: DeliveriesRepository,
    endpoints: EndpointCache,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {
    super({
      maxInFlight: config.DELIVERY_MAX_IN_FLIGHT,
      maxRecording: config.DELIVERY_MAX_RECORDING,
      maxQueuePerEndpoint: config.DELIVERY_MAX_QUEUE_PER_ENDPOINT,
      maxQueued: config.DELIVERY_MAX_QUEUED,
      limits: (id) => endpoints.limits(id),
      run: (job) => attempts.run(job),
      // The endpoint's circuit is open: back to the table until the cool-down ends, no attempt counted.
      // A direct job (no row yet) goes back to the intake, which writes it a due row instead.
      deferred: async (job, at) => {
        if (job.direct) job.direct.bounce();
        else await repo.defer(job, at);
      },
      circuit: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS },
      // The row keeps its lease and the scheduler picks it up again; nothing is lost here.
      onStart: (_job, waitedMs) => queueWait.observe(waitedMs / 1000),
      onError: (err, job) => log.error(`delivery ${job.id} (endpoint ${job.endpointId}): ${errorMessage(err)}; it will be retried after its lease`),
    });
  }

  /** Lets in-flight attempts finish and record (bounded); queued ones stay leased in the table. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stop();
    const bound = Math.max(500, Math.floor(this.config.SHUTDOWN_TIMEOUT_MS * 0.6));
    const t0 = Date.now();
    const done = await this.idle(bound);
    if (!done) {
      const s = this.stats();
      log.warn(`${s.inFlight} attempt(s) still in flight and ${s.recording} still being recorded at shutdown; their leases hand them to another replica`);
    }
    // Results of recorded attempts are published after the attempt's slot is freed: let them land.
    if (!(await this.attempts.drain(Math.max(200, bound - (Date.now() - t0))))) log.warn('some attempt results were still being published at shutdown');
  }
}
