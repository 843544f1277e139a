import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { HealthResult } from './delivery-result.check';
import { EndpointAutoDisableService } from './endpoint-auto-disable.service';
import { ENDPOINT_HEALTH_SETTINGS, type EndpointHealthSettings } from './endpoint-health.settings';
import { EndpointHealthRepository } from './endpoint-health.repository';
import { failingTooLong, foldResults } from './health-fold';

export const GONE_REASON = 'the endpoint answered 410 Gone';

export function failingReason(days: number, since: Date): string {
  return `deliveries failed continuously for ${days} day(s) (since ${since.toISOString()})`;
}

/**
 * Applies delivery results: keeps `endpoint_health` and disables endpoints the receiver asked us
 * to stop (410) or that have failed without a single success for ENDPOINT_DISABLE_AFTER_FAILING_DAYS.
 * A disable goes through EndpointAutoDisableService, so the new snapshot (enabled=false) is
 * published to the config topic inside the same transaction, exactly like a user's disable.
 * Cost per batch of results: one upsert statement (the batch folded per endpoint in memory); a
 * disable (a 410, or a streak reaching the limit) adds its own transaction, rarely.
 */
@Injectable()
export class EndpointHealthService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('EndpointHealth');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(ENDPOINT_HEALTH_SETTINGS) private readonly config: EndpointHealthSettings,
    private readonly repo: EndpointHealthRepository,
    private readonly disabler: EndpointAutoDisableService,
  ) {}

  onApplicationBootstrap(): void {
    // Results only arrive while deliveries are attempted; the sweep also catches an endpoint
    // whose last failure was long ago but that never recovered.
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.log.error({ err, msg: 'endpoint failure sweep failed; retried at the next interval' }));
    }, this.config.FEED_MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async applyResults(results: HealthResult[], now = new Date()): Promise<{ disabled: string[] }> {
    const { deltas, gone } = foldResults(results);
    const days = this.config.ENDPOINT_DISABLE_AFTER_FAILING_DAYS;
    const rows = await this.repo.apply(deltas, new Date(now.getTime() - days * 24 * 3600 * 1000));
    const disabled: string[] = [];
    for (const g of gone) {
      if (await this.disable(g.accountId, g.endpointId, GONE_REASON, new Date(g.attemptedAt))) disabled.push(g.endpointId);
    }
    for (const r of rows) {
      if (disabled.includes(r.endpoint_id) || !failingTooLong(r.failing_since, now, days) || !r.failing_since) continue;
      if (await this.disable(r.account_id, r.endpoint_id, failingReason(days, r.failing_since))) disabled.push(r.endpoint_id);
    }
    return { disabled };
  }

  /** Disables every enabled endpoint that has been failing for too long. */
  async sweep(now = new Date()): Promise<string[]> {
    const days = this.config.ENDPOINT_DISABLE_AFTER_FAILING_DAYS;
    const rows = await this.repo.failingEnabledSince(new Date(now.getTime() - days * 24 * 3600 * 1000));
    const disabled: string[] = [];
    for (const r of rows) {
      if (r.failing_since && (await this.disable(r.account_id, r.endpoint_id, failingReason(days, r.failing_since)))) disabled.push(r.endpoint_id);
    }
    return disabled;
  }

  private async disable(accountId: string, endpointId: string, reason: string, unlessChangedAfter?: Date): Promise<boolean> {
    const done = await this.disabler.disable(accountId, endpointId, reason, unlessChangedAfter);
    if (done) {
      await this.repo.resetStreak(endpointId);
      // The config snapshot (enabled=false) is the machine-readable record; this is the human one.
      this.log.warn({ msg: 'hookstream.endpoint.disabled', endpointId, accountId, reason });
    }
    return done;
  }
}
