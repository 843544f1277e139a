import { Inject, Injectable } from '@nestjs/common';
import { DeliveryRecordsRepository } from '@hookstream/delivery-store';
import { EmailHasher, FeedRepository } from '@hookstream/feed-store';
import { APP_CONFIG } from '@hookstream/platform';
import { ApiError } from '../common/api-error';
import { decodeKeysetCursor, toKeysetPage } from '../common/keyset-cursor';
import { pageLimit, type Page } from '../common/pagination';
import type { ControlApiConfig } from '../control-api.config';
import { deliveryView } from '../deliveries/delivery-view';
import type { EventStoryView, EventSummary, FeedQueryDto } from './feed.dto';
import { summaryFromDb } from './feed-view';

@Injectable()
export class FeedService {
  private readonly emails: EmailHasher;

  constructor(
    @Inject(APP_CONFIG) config: ControlApiConfig,
    private readonly repo: FeedRepository,
    private readonly deliveries: DeliveryRecordsRepository,
  ) {
    this.emails = new EmailHasher(config.SECRETS_KEY);
  }

  async list(accountId: string, q: FeedQueryDto): Promise<Page<EventSummary>> {
    const limit = pageLimit(q);
    const rows = await this.repo.list(
      accountId,
      {
        type: q.type,
        status: q.status,
        sourceId: q.sourceId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        emailHash: q.email ? this.emails.hash(q.email) : undefined,
      },
      limit + 1,
      decodeKeysetCursor(q.cursor),
    );
    return toKeysetPage(rows, limit, (r) => ({ at: r.cursor_at, id: r.id }), summaryFromDb);
  }

  async story(accountId: string, id: string): Promise<EventStoryView> {
    const row = await this.repo.story(accountId, id);
    if (!row) throw ApiError.notFound('event', id);
    const deliveries = await this.deliveries.byEvent(accountId, id);
    const attempts = await this.deliveries.attemptsOf(deliveries.map((d) => d.id));
    return {
      summary: summaryFromDb(row),
      raw: row.raw,
      canonical: row.canonical,
      enrichment: row.enrichment,
      rejection: row.reasons ? { reasons: row.reasons } : null,
      duplicate: row.duplicate,
      deliveries: deliveries.map((d) => deliveryView(d, attempts)),
    };
  }
}
