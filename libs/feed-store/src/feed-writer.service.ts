import { Inject, Injectable } from '@nestjs/common';
import { EmailHasher } from './email-hash';
import { FeedPartitionsService, utcDay } from './feed-partitions.service';
import { FEED_PROJECTION_SETTINGS, type FeedProjectionSettings } from './feed-projection.settings';
import { dedupeRows, type FeedRow } from './feed-rows';
import { FeedRepository } from './feed.repository';

type HashedRow = FeedRow & { emailHash: string | null };

/** One caller's rows, and its promise. */
interface Waiter {
  rows: FeedRow[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

@Injectable()
export class FeedWriterService {
  private readonly emails: EmailHasher;
  private readonly coalesce: boolean;
  /** The calls of this event-loop turn, written together at the next check phase. */
  private pending: Waiter[] | null = null;

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
   * update (`mergeRows`). When that statement fails, each batch is written again on its own, so
   * only a batch that fails by itself sees the error (its consumer path retries or dead-letters
   * it); the upsert is idempotent.
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
      p = [];
      this.pending = p;
      // After the check phase: the other topics' handler calls of this fetch join first.
      setImmediate(() => void this.flush());
    }
    const waiters = p;
    return new Promise<void>((resolve, reject) => waiters.push({ rows, resolve, reject }));
  }

  private async flush(): Promise<void> {
    const waiters = this.pending ?? [];
    this.pending = null;
    if (waiters.length === 0) return;
    try {
      await this.upsert(waiters.flatMap((w) => w.rows));
      for (const w of waiters) w.resolve();
    } catch (err) {
      if (waiters.length === 1) {
        waiters[0].reject(err);
        return;
      }
      // One caller's bad row (e.g. a JSON string PostgreSQL's jsonb refuses) must not fail the
      // others' batches, or their retries would count against healthy messages (and dead-letter
      // them): each caller is written on its own, and only the failing ones see the error. One after
      // the other: two statements over the same ids in different orders could deadlock.
      for (const w of waiters) await this.upsert(w.rows).then(w.resolve, w.reject);
    }
  }

  private async upsert(rows: FeedRow[]): Promise<void> {
    const hashed: HashedRow[] = dedupeRows(rows).map((r) => ({ ...r, emailHash: r.email ? this.emails.hash(r.email) : null }));
    await this.repo.upsert(hashed);
  }
}
