import { Inject, Injectable } from '@nestjs/common';
import { EmailHasher } from './email-hash';
import { FeedPartitionsService, utcDay } from './feed-partitions.service';
import { FEED_PROJECTION_SETTINGS, type FeedProjectionSettings } from './feed-projection.settings';
import { dedupeRows, type FeedRow } from './feed-rows';
import { FeedRepository } from './feed.repository';

@Injectable()
export class FeedWriterService {
  private readonly emails: EmailHasher;

  constructor(
    @Inject(FEED_PROJECTION_SETTINGS) config: FeedProjectionSettings,
    private readonly repo: FeedRepository,
    private readonly partitions: FeedPartitionsService,
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
}
