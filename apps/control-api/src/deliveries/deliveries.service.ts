import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EndpointEntity } from '@hookstream/db';
import { APP_CONFIG } from '@hookstream/platform';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { decodeKeysetCursor, toKeysetPage } from '../common/keyset-cursor';
import { pageLimit, type Page } from '../common/pagination';
import type { ControlApiConfig } from '../control-api.config';
import { EndpointsRepository } from '@hookstream/config-store';
import { DeliveryRecordsRepository } from '@hookstream/delivery-store';
import { deliveryDetail, deliverySummary } from './delivery-view';
import type { DeliveryDetailView, DeliveryQueryDto, DeliverySummary, EndpointHealthView, SampleView } from './deliveries.dto';
import { INTERNAL_TOKEN_HEADER, internalToken } from '@hookstream/webhooks';
import { isoOrNull } from '../common/iso-time';

interface SampleAnswer {
  outcome: string;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
}

@Injectable()
export class DeliveriesService {
  private readonly log = new Logger('Deliveries');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
    private readonly repo: DeliveryRecordsRepository,
    private readonly endpoints: EndpointsRepository,
  ) {}

  async list(accountId: string, q: DeliveryQueryDto): Promise<Page<DeliverySummary>> {
    const limit = pageLimit(q);
    const rows = await this.repo.list(accountId, { endpointId: q.endpointId, eventId: q.eventId, status: q.status }, limit + 1, decodeKeysetCursor(q.cursor));
    return toKeysetPage(rows, limit, (r) => ({ at: r.cursor_at, id: r.id }), deliverySummary);
  }

  async get(accountId: string, id: string): Promise<DeliveryDetailView> {
    const d = await this.repo.get(accountId, id);
    if (!d) throw ApiError.notFound('delivery', id);
    return deliveryDetail(d, await this.repo.attemptsOf([d.id]));
  }

  /** "Retry now": the delivery app's next poll (any replica) sends it. */
  async retry(accountId: string, id: string): Promise<DeliveryDetailView> {
    const done = await this.repo.retryNow(accountId, id);
    const d = await this.repo.get(accountId, id);
    if (!d) throw ApiError.notFound('delivery', id);
    if (!done) throw new ApiError(ApiErrorCode.conflict, `delivery ${id} is ${d.status}; only pending, failed, exhausted or cancelled deliveries can be retried`, HttpStatus.CONFLICT);
    return deliveryDetail(d, await this.repo.attemptsOf([d.id]));
  }

  async replay(accountId: string, endpointId: string, since: Date): Promise<{ count: number }> {
    await this.endpoint(accountId, endpointId);
    return { count: await this.repo.replay(accountId, endpointId, since) };
  }

  async health(accountId: string, endpointId: string, now = new Date()): Promise<EndpointHealthView> {
    const endpoint = await this.endpoint(accountId, endpointId);
    // Counts and times from the same rows, so the widget cannot contradict itself.
    const h = await this.repo.attemptHealth(endpointId, new Date(now.getTime() - 24 * 3600 * 1000));
    return {
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason,
      last24h: { attempts: h.attempts, succeeded: h.succeeded, failed: h.failed },
      lastSuccessAt: isoOrNull(h.lastSuccessAt),
      lastFailureAt: isoOrNull(h.lastFailureAt),
      failingSince: isoOrNull(h.failingSince),
    };
  }

  /** Proxies "send sample data" to the delivery app, which makes one real, unrecorded attempt. */
  async sample(accountId: string, endpointId: string, eventType: string): Promise<SampleView> {
    await this.endpoint(accountId, endpointId);
    const url = `${this.config.DELIVERY_INTERNAL_URL}/internal/v1/endpoints/${encodeURIComponent(endpointId)}/sample`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: internalToken(this.config.SECRETS_KEY) },
        body: JSON.stringify({ eventType }),
        signal: AbortSignal.timeout(this.config.DELIVERY_SAMPLE_TIMEOUT_MS),
      });
    } catch (err) {
      this.log.warn({ err, msg: 'delivery service unreachable for a sample' });
      throw new ApiError(ApiErrorCode.deliveryUnavailable, 'the delivery service could not be reached; try again', HttpStatus.SERVICE_UNAVAILABLE);
    }
    if (res.status === 200) {
      const a = (await res.json()) as SampleAnswer;
      return { outcome: a.outcome, httpStatus: a.httpStatus, latencyMs: a.latencyMs, error: a.error };
    }
    if (res.status === 404) {
      // Delivery learns endpoints from the config topic; a just-created one may not be there yet.
      throw new ApiError(ApiErrorCode.deliveryUnavailable, 'the delivery service does not know this endpoint yet; try again in a moment', HttpStatus.SERVICE_UNAVAILABLE);
    }
    const text = await res.text().catch(() => '');
    this.log.warn(`delivery answered ${res.status} to a sample: ${text.slice(0, 300)}`);
    throw new ApiError(ApiErrorCode.deliveryUnavailable, `the delivery service answered ${res.status}`, HttpStatus.SERVICE_UNAVAILABLE);
  }

  private async endpoint(accountId: string, endpointId: string): Promise<EndpointEntity> {
    const endpoint = await this.endpoints.find(this.ds.manager, accountId, endpointId);
    if (!endpoint) throw ApiError.notFound('endpoint', endpointId);
    return endpoint;
  }
}
