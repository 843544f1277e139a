import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
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

/** One `hold` call's raw rows still held: it resolves once all of them are written. */
interface HoldGroup {
  left: number;
  failed: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Held {
  row: FeedRow;
  since: number;
  group: HoldGroup;
}

/** Raw rows held at once at most; past it a hold writes at once, as without holding. */
const MAX_HELD = 20_000;

@Injectable()
export class FeedWriterService implements OnApplicationShutdown {
  private readonly emails: EmailHasher;
  private readonly coalesce: boolean;
  private readonly holdMs: number;
  /** The calls of this event-loop turn, written together at the next check phase. */
  private pending: Waiter[] | null = null;
  /** The event ids of `pending`'s rows. */
  private pendingIds = new Set<string>();
  /** Raw rows waiting for their verdict, by event id. */
  private readonly held = new Map<string, Held>();
  /** Ids of held rows whose statement failed: written within the call when read again. */
  private readonly failed = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(FEED_PROJECTION_SETTINGS) config: FeedProjectionSettings,
    private readonly repo: FeedRepository,
    private readonly partitions: FeedPartitionsService,
  ) {
    this.emails = new EmailHasher(config.SECRETS_KEY);
    this.coalesce = config.FEED_COALESCE_WRITES !== 'false';
    this.holdMs = this.coalesce ? (config.FEED_RAW_HOLD_MS ?? 0) : 0;
  }

  /**
   * events.raw: holds each raw row up to FEED_RAW_HOLD_MS for its verdict, so that the two become
   * one row insert instead of an insert and a (non-HOT) update. Resolves once the rows are taken
   * (their days' partitions exist), with `settled`, which resolves once every row of the call is
   * written: the consumer defers its commit to it. A verdict that arrives meanwhile takes its raw
   * row into its own statement; the rows still held when their time is up are written together.
   * An event whose verdict comes later, or goes to another replica, is written alone, as without
   * holding. `settled` rejects if a statement carrying one of its rows failed: the consumer then
   * reads the call's messages again (the upsert is idempotent), and those rows are written within
   * that call, so that its failure takes the consumer's usual path (retries, poison split, DLQ).
   */
  async hold(rows: FeedRow[], now = new Date()): Promise<{ settled: Promise<void> }> {
    const kept = dedupeRows(this.retained(rows, now));
    if (kept.length === 0) return { settled: Promise.resolve() };
    await this.partitions.ensureDays(kept.map((r) => utcDay(r.receivedAt)));
    // Written now, within the call, as without holding: when not holding; over the bound; a row
    // read again while still held (a redelivery); or rows of a held call whose write failed, read
    // again — a failure is then the call's own, so the consumer retries it, and a row PostgreSQL
    // refuses reaches the DLQ by the consumer's poison path instead of failing the hold forever.
    if (this.holdMs <= 0 || this.held.size + kept.length > MAX_HELD || kept.some((r) => this.held.has(r.id) || this.failed.has(r.id))) {
      await (this.coalesce ? this.enqueue(kept) : this.upsert(kept));
      // Only once written: the consumer's retries of a failing call stay within the call too.
      for (const r of kept) this.failed.delete(r.id);
      return { settled: Promise.resolve() };
    }
    const settled = new Promise<void>((resolve, reject) => {
      const group: HoldGroup = { left: kept.length, failed: false, resolve, reject };
      const since = performance.now();
      for (const row of kept) this.held.set(row.id, { row, since, group });
    });
    // Verdicts already in this turn's statement: their raw rows join it now.
    if (this.pendingIds.size > 0) this.release(kept.filter((r) => this.pendingIds.has(r.id)).map((r) => this.held.get(r.id) as Held)).catch(() => undefined);
    this.scheduleSweep();
    return { settled };
  }

  /** Raw rows held for their verdict now (the projector's `hookstream_feed_raw_rows_held` gauge). */
  get heldRows(): number {
    return this.held.size;
  }

  /** Whether this event's raw row is held now. */
  holds(eventId: string): boolean {
    return this.held.has(eventId);
  }

  /** Shutdown: what is held is written now, so the consumer's drain can commit it. */
  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.release([...this.held.values()]).catch(() => undefined);
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
    const kept = this.retained(rows, now);
    if (kept.length === 0) return 0;
    await this.partitions.ensureDays(kept.map((r) => utcDay(r.receivedAt)));
    if (!this.coalesce) {
      await this.upsert(kept);
      return kept.length;
    }
    // Their raw rows, if held, go into the same statement (merged with these into one row each).
    const joined: Held[] = [];
    if (this.held.size > 0) {
      for (const r of kept) {
        const h = this.held.get(r.id);
        if (h) joined.push(h);
      }
    }
    await Promise.all([this.enqueue(kept), this.release(joined)]);
    return kept.length;
  }

  /** Events already past retention are skipped (their day is, or is about to be, dropped). */
  private retained(rows: FeedRow[], now: Date): FeedRow[] {
    const cutoff = this.partitions.retentionCutoff(now).getTime();
    return rows.filter((r) => Date.parse(r.receivedAt) >= cutoff);
  }

  /**
   * Takes held rows out of the hold and into this turn's statement, one waiter per hold group (so a
   * failure of the shared statement is retried per group, as for any caller); settles the groups.
   */
  private async release(entries: Held[]): Promise<void> {
    if (entries.length === 0) return;
    const byGroup = new Map<HoldGroup, FeedRow[]>();
    for (const h of entries) {
      if (this.held.get(h.row.id) !== h) continue;
      this.held.delete(h.row.id);
      const rows = byGroup.get(h.group);
      if (rows) rows.push(h.row);
      else byGroup.set(h.group, [h.row]);
    }
    await Promise.all(
      [...byGroup].map(([group, rows]) =>
        this.enqueue(rows).then(
          () => {
            group.left -= rows.length;
            if (group.left === 0 && !group.failed) group.resolve();
          },
          (err: unknown) => {
            if (this.failed.size + rows.length > MAX_HELD) this.failed.clear();
            for (const r of rows) this.failed.add(r.id);
            group.failed = true;
            group.reject(err);
          },
        ),
      ),
    );
  }

  private scheduleSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      const due = performance.now() - this.holdMs;
      const expired: Held[] = [];
      // Map order is insertion order, so the oldest come first.
      for (const h of this.held.values()) {
        if (h.since > due) break;
        expired.push(h);
      }
      void this.release(expired);
      if (this.held.size > 0) this.scheduleSweep();
    }, Math.max(5, Math.floor(this.holdMs / 4)));
    // Never what keeps a closing process alive: rows not written are not committed, and are read again.
    this.sweepTimer.unref();
  }

  private enqueue(rows: FeedRow[]): Promise<void> {
    let p = this.pending;
    if (!p) {
      p = [];
      this.pending = p;
      this.pendingIds = new Set();
      // After the check phase: the other topics' handler calls of this fetch join first.
      setImmediate(() => void this.flush());
    }
    const waiters = p;
    for (const r of rows) this.pendingIds.add(r.id);
    return new Promise<void>((resolve, reject) => waiters.push({ rows, resolve, reject }));
  }

  private async flush(): Promise<void> {
    const waiters = this.pending ?? [];
    this.pending = null;
    this.pendingIds = new Set();
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
