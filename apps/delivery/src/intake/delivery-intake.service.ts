import { Inject, Injectable } from '@nestjs/common';
import type { DeliveryRequestDto } from '@hookstream/contracts';
import { APP_CONFIG } from '@hookstream/platform';
import type { DeliveryConfig } from '../delivery.config';
import type { DeliveryJob } from '../attempts/attempt.service';
import { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';
import { DeliveriesRepository } from '../storage/deliveries.repository';

export interface AcceptResult {
  inserted: number;
  dispatched: number;
}

@Injectable()
export class DeliveryIntakeService {
  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /**
   * Makes the requests durable (one statement), then hands the new ones to the dispatcher
   * without waiting for any HTTP: the consumer's pace never depends on an endpoint's.
   * A redelivered request already has its row and is not dispatched twice.
   */
  async accept(requests: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string> = new Map()): Promise<AcceptResult> {
    // Taken before the INSERT is sent: the lease it writes ends no earlier than this plus its length.
    const leaseUntil = performance.now() + this.config.DELIVERY_LEASE_SECONDS * 1000;
    const insertedAt = new Date();
    const fresh = await this.repo.insertNew(requests, this.config.DELIVERY_LEASE_SECONDS);
    const byId = new Map(requests.map((r) => [r.id, r]));
    const overflow: DeliveryJob[] = [];
    for (const row of fresh) {
      const job: DeliveryJob = { ...row, traceparent: traceparents.get(row.id), request: byId.get(row.id), fresh: { leaseUntil, insertedAt } };
      if (!this.dispatcher.submit(job)) overflow.push(job);
    }
    // The endpoint's queue is full: due now for the scheduler, instead of waiting out the lease.
    await this.repo.release(overflow, new Date());
    return { inserted: fresh.length, dispatched: fresh.length - overflow.length };
  }
}
