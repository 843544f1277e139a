import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import { ConfigPublisherService } from './config-publisher.service';
import { EndpointsRepository } from './endpoints.repository';

/**
 * A disable decided by the system (410 Gone, or failing for days), not by a user. Like a user's
 * disable it publishes the new snapshot (enabled=false) inside the transaction that made the
 * change, so the delivery app's cache hears of it or nothing changes.
 */
@Injectable()
export class EndpointAutoDisableService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly endpoints: EndpointsRepository,
    private readonly publisher: ConfigPublisherService,
  ) {}

  /**
   * false when there is nothing to do: the endpoint is gone, not the account's, already disabled,
   * or changed after `unlessChangedAfter` (a user re-enabled it after the 410 this decision is
   * based on — a redelivered old result must not undo that).
   */
  async disable(accountId: string, id: string, reason: string, unlessChangedAfter?: Date): Promise<boolean> {
    return this.ds.transaction(async (em) => {
      const endpoint = await this.endpoints.lock(em, accountId, id);
      if (!endpoint || !endpoint.enabled) return false;
      if (unlessChangedAfter && endpoint.updatedAt.getTime() > unlessChangedAfter.getTime()) return false;
      endpoint.enabled = false;
      endpoint.disabledReason = reason;
      endpoint.version += 1;
      await this.endpoints.save(em, endpoint);
      await this.publisher.publishEndpoint(em, id);
      return true;
    });
  }
}
