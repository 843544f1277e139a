import { Inject, Injectable } from '@nestjs/common';
import { EmailHasher } from './email-hash';
import { FeedPartitionsService, utcDay } from './feed-partitions.service';
import { FEED_PROJECTION_SETTINGS, type FeedProjectionSettings } from './feed-projection.settings';
import { dedupeRows, type FeedRow } from './feed-rows';
import { FeedRepository } from './feed.repository';

type HashedRow = FeedRow & { emailHash: string | null };

/** Rows asked for in one event-loop turn, and the callers waiting for them to be durable. */
interface PendingWrite {
  rows: FeedRow[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

@Injectable()
export class FeedWriterService {
  private readonly emails: EmailHasher;
  private readonly coalesce: boolean;
  private pending: PendingWrite | null = null;

  constructor(
    @Inject(FEED_PROJECTION_SETTINGS) config: FeedProjectionSettings,
    private readonly repo: FeedRepository,
    private readonly partitions: FeedPartitionsService,
  ) {
    this.emails = new EmailHasher(config.SECRETS_KEY);
    this.coalesce = config.FEED_COALESCE_WRITES !== 'false';
  }

  /**
   * Writes one consumed batch; resolves once its rows are durable. Events already past retention
   * are skipped (their day is, or is about to be, dropped); a day without a partition yet is
   * created first. The batches of the four topics handed over within one event-loop turn (the
   * transport starts the topics of one fetch together) share ONE upsert, and an event whose raw
   * request and verdict are both among them becomes one row insert instead of an insert and an
   * update (`mergeRows`). A failed statement fails every batch in it; each is retried by its own
   * consumer path, and the upsert is idempotent.
   */
  async write(rows: FeedRow[], now = new Date()): Promise<number> {
    const cutoff = this.partitions.retentionCutoff(now).getTime();
    const kept = rows.filter((r) => Date.parse(r.receivedAt) >= cutoff);
    if (kept.length === 0) return 0;
    await this.partitions.ensureDays(kept.map((r) => utcDay(r.receivedAt)));
    if (!this.coalesce) await this.upsert(kept);
    else await this.enqueue(kept);
    return kept.length;
  }

  private enqueue(rows: FeedRow[]): Promise<void> {
    let p = this.pending;
    if (!p) {
      p = { rows: [], waiters: [] };
      this.pending = p;
      // After the check phase: the other topics' handler calls of this fetch join first.
      setImmediate(() => void this.flush());
    }
    for (const r of rows) p.rows.push(r);
    return new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
  }

  private async flush(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    try {
      await this.upsert(p.rows);
      for (const w of p.waiters) w.resolve();
    } catch (err) {
      for (const w of p.waiters) w.reject(err);
    }
  }

  private async upsert(rows: FeedRow[]): Promise<void> {
    const hashed: HashedRow[] = dedupeRows(rows).map((r) => ({ ...r, emailHash: r.email ? this.emails.hash(r.email) : null }));
    await this.repo.upsert(hashed);
  }
}
