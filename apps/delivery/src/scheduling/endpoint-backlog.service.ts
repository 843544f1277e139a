import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '@hookstream/contracts';
import { EndpointCache, type EndpointLifecycle } from '../config-cache/endpoint.cache';
import { ENDPOINT_DELETED_REASON } from '../attempts/attempt-outcome';
import { DeliveriesRepository } from '../storage/deliveries.repository';
import { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';


/** Changes arriving together (the replay at boot, a bulk delete) share one statement per kind. */
const GATHER_MS = 100;
const RETRY_MS = 5_000;
/** Endpoint ids per statement. */
const IDS_PER_STATEMENT = 1000;

/**
 * What deleting, disabling and enabling an endpoint does to its open deliveries (pending or
 * failed), applied in bulk from the config topic, in every replica (each action is idempotent,
 * so replicas doing it side by side is harmless):
 * - **deleted** (tombstone): cancelled at once — status `cancelled`, an attempt row `skipped`
 *   with `endpoint_deleted` — and the endpoint's lane and breaker are freed;
 * - **disabled**: held — kept open with no `next_attempt_at`, so never due and never attempted;
 * - **enabled** again: the held ones are due now and continue their schedule.
 * Held deliveries are still subject to retention (DELIVERY_RETENTION_DAYS).
 */
@Injectable()
export class EndpointBacklogService implements BeforeApplicationShutdown {
  private readonly log = new Logger(EndpointBacklogService.name);
  /** Latest change per endpoint, in arrival order: a disable then an enable leaves only the enable. */
  private readonly pending = new Map<string, EndpointLifecycle>();
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> = Promise.resolve();
  private running = false;
  private stopped = false;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly dispatcher: DeliveryDispatcher,
    endpoints: EndpointCache,
  ) {
    // Registered here, before anything starts the config stream, so the replay at boot is seen.
    endpoints.onLifecycle((id, change) => this.note(id, change));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private note(id: string, change: EndpointLifecycle): void {
    if (change === 'deleted') this.dispatcher.forget(id);
    this.pending.delete(id);
    this.pending.set(id, change);
    this.schedule(GATHER_MS);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Applies everything noted so far; resolves when done (tests, shutdown). */
  async flush(): Promise<void> {
    if (this.running) return this.current;
    this.running = true;
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending].slice(0, IDS_PER_STATEMENT);
        for (const [id] of batch) this.pending.delete(id);
        try {
          await this.apply(batch);
        } catch (err) {
          // Put back what is not superseded by a newer change, and try again: nothing is dropped.
          for (const [id, change] of batch) if (!this.pending.has(id)) this.pending.set(id, change);
          this.log.error(`endpoint backlog changes failed (${batch.length} endpoint(s)), retrying in ${RETRY_MS} ms: ${errorMessage(err)}`);
          this.running = false;
          this.schedule(RETRY_MS);
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async apply(batch: [string, EndpointLifecycle][]): Promise<void> {
    const of = (kind: EndpointLifecycle) => batch.filter(([, c]) => c === kind).map(([id]) => id);
    const deleted = of('deleted');
    const disabled = of('disabled');
    const enabled = of('enabled');
    if (deleted.length > 0) {
      const n = await this.repo.cancelEndpoints(deleted, ENDPOINT_DELETED_REASON);
      if (n > 0) this.log.log(`cancelled ${n} open deliver${n === 1 ? 'y' : 'ies'} of ${deleted.length} deleted endpoint(s)`);
    }
    if (disabled.length > 0) {
      const n = await this.repo.holdEndpoints(disabled);
      if (n > 0) this.log.log(`holding ${n} open deliver${n === 1 ? 'y' : 'ies'} of ${disabled.length} disabled endpoint(s)`);
    }
    if (enabled.length > 0) {
      const n = await this.repo.resumeEndpoints(enabled);
      if (n > 0) this.log.log(`resumed ${n} held deliver${n === 1 ? 'y' : 'ies'} of ${enabled.length} enabled endpoint(s)`);
    }
  }
}
