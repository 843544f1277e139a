import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { ApiError } from '../common/api-error';
import { decodeKeysetCursor, toKeysetPage } from '../common/keyset-cursor';
import { pageLimit, type Page } from '../common/pagination';
import type { ControlApiConfig } from '../control-api.config';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { EmailHasher } from './email-hash';
import { FeedPartitionsService, utcDay } from './feed-partitions.service';
import { dedupeRows, type FeedRow } from './feed-rows';
import type { EventStoryView, EventSummary, FeedQueryDto } from './feed.dto';
import { FeedRepository } from './feed.repository';
import { deliveryView, summaryFromDb } from './feed-view';

@Injectable()
export class FeedService {
  private readonly emails: EmailHasher;

  constructor(
    @Inject(APP_CONFIG) config: ControlApiConfig,
    private readonly repo: FeedRepository,
    private readonly partitions: FeedPartitionsService,
    private readonly deliveries: DeliveriesRepository,
  ) {
    this.emails = new EmailHasher(config.SECRETS_KEY);
  }

  /**
   * Writes one consumed batch. Events already past retention are skipped (their day is, or is
   * about to be, dropped); a day without a partition yet is created first.
   */
  async write(rows: FeedRow[], now = new Date()): Promise<number> {
    const cutoff = this.partitions.retentionCutoff(now).getTime();
    const kept = dedupeRows(rows).filter((r) => Date.parse(r.receivedAt) >= cutoff);
    if (kept.length === 0) return 0;
    await this.partitions.ensureDays(kept.map((r) => utcDay(r.receivedAt)));
    await this.repo.upsert(kept.map((r) => ({ ...r, emailHash: r.email ? this.emails.hash(r.email) : null })));
    return kept.length;
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
