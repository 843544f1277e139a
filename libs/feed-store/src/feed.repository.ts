import { Inject, Injectable } from '@nestjs/common';
import type { CanonicalEvent, RawEventDto, ValidationReason } from '@hookstream/contracts';
import { DataSource, keysetTime, preparedStatement, type KeysetPosition } from '@hookstream/db';
import type { FeedRow, FeedStatus, StoredSummary } from './feed-rows';

/** A feed row as read back, with its deliveries counted. */
export interface FeedEventRow {
  id: string;
  account_id: string;
  source_id: string;
  status: FeedStatus;
  type: string | null;
  received_at: Date;
  /** received_at to the microsecond, for the keyset cursor. */
  cursor_at: string;
  occurred_at: Date | null;
  dialect: string | null;
  summary: StoredSummary;
  deliveries_total: number;
  deliveries_succeeded: number;
  deliveries_failed: number;
}

export interface FeedStoryRow extends FeedEventRow {
  raw: RawEventDto | null;
  canonical: CanonicalEvent | null;
  enrichment: { applied: string[]; warnings: string[] } | null;
  reasons: ValidationReason[] | null;
  duplicate: { originalEventId: string; dedupeKey: string } | null;
}

export interface FeedStatusCount {
  bucket: Date;
  key: FeedStatus;
  count: number;
}

export interface FeedFilter {
  type?: string;
  status?: FeedStatus;
  sourceId?: string;
  from?: Date;
  to?: Date;
  emailHash?: string;
}

/** A verdict (rank 1) replaces `received` (rank 0), never the other way round. */
const RANK = (s: string) => `(CASE ${s} WHEN 'received' THEN 0 ELSE 1 END)`;
const WINS = `${RANK('EXCLUDED.status')} >= ${RANK('f.status')}`;

const COLUMNS = `f.id, f.account_id, f.source_id, f.status, f.type, f.received_at, ${keysetTime('f.received_at')} AS cursor_at, f.occurred_at, f.dialect, f.summary,
  COALESCE(ds.total, 0) AS deliveries_total, COALESCE(ds.succeeded, 0) AS deliveries_succeeded, COALESCE(ds.failed, 0) AS deliveries_failed`;
const DELIVERY_COUNTS = `LEFT JOIN LATERAL (
  SELECT count(*)::int AS total, count(*) FILTER (WHERE d.status = 'succeeded')::int AS succeeded,
         count(*) FILTER (WHERE d.status IN ('failed', 'exhausted', 'cancelled'))::int AS failed
    FROM deliveries d WHERE d.event_id = f.id AND d.account_id = f.account_id) ds ON true`;

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** The feed upsert of a batch (`upsert`), `receivedAt` the expression of a row's partition key; $1 the rows as a JSON array. */
function upsertSql(receivedAt: string): string {
  return `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, account_id text, source_id text, status text, type text, received_at timestamptz,
              occurred_at timestamptz, dialect text, email_hash text, summary jsonb, raw jsonb, canonical jsonb, enrichment jsonb, reasons jsonb, duplicate jsonb,
              may_repeat boolean))
       INSERT INTO feed_events AS f (id, account_id, source_id, status, type, received_at, occurred_at, dialect, email_hash, summary, raw, canonical, enrichment, reasons, duplicate, updated_at)
       SELECT x.id, x.account_id, x.source_id, x.status, x.type,
              ${receivedAt},
              x.occurred_at, x.dialect, x.email_hash, x.summary, x.raw, x.canonical, x.enrichment, x.reasons, x.duplicate, now()
         FROM x
       ON CONFLICT (received_at, id) DO UPDATE SET
         status = CASE WHEN ${WINS} THEN EXCLUDED.status ELSE f.status END,
         type = CASE WHEN ${WINS} THEN COALESCE(EXCLUDED.type, f.type) ELSE f.type END,
         occurred_at = CASE WHEN ${WINS} THEN COALESCE(EXCLUDED.occurred_at, f.occurred_at) ELSE f.occurred_at END,
         dialect = CASE WHEN ${WINS} THEN COALESCE(EXCLUDED.dialect, f.dialect) ELSE f.dialect END,
         email_hash = CASE WHEN ${WINS} THEN COALESCE(EXCLUDED.email_hash, f.email_hash) ELSE f.email_hash END,
         summary = CASE WHEN ${WINS} THEN EXCLUDED.summary ELSE f.summary END,
         raw = COALESCE(f.raw, EXCLUDED.raw),
         canonical = COALESCE(EXCLUDED.canonical, f.canonical),
         enrichment = COALESCE(EXCLUDED.enrichment, f.enrichment),
         reasons = COALESCE(EXCLUDED.reasons, f.reasons),
         duplicate = COALESCE(EXCLUDED.duplicate, f.duplicate),
         updated_at = now()
       WHERE ${WINS} OR (f.raw IS NULL AND EXCLUDED.raw IS NOT NULL)`;
}
/** Rows that cannot repeat keep their own received_at. */
const UPSERT_SQL = preparedStatement(upsertSql('x.received_at'));
/** Rows that may repeat take the received_at their id was first seen at (see `upsert`). */
const UPSERT_WITH_LOOKUP_SQL = preparedStatement(
  upsertSql(`CASE WHEN x.may_repeat IS FALSE THEN x.received_at
              ELSE COALESCE((SELECT e.received_at FROM feed_events e WHERE e.account_id = x.account_id AND e.id = x.id LIMIT 1), x.received_at) END`),
);

/**
 * The only code that touches `feed_events` (the read model): the projector writes through
 * `upsert`, control-api reads through `list` and `story`. `deliveries` is only joined for counts.
 */
@Injectable()
export class FeedRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * One statement for the whole batch. Idempotent, and order-independent across topics: the
   * status (and what comes with it) only moves from `received` to a verdict; the raw request,
   * canonical event, reasons and duplicate info are kept from whichever message brought them.
   */
  async upsert(rows: (FeedRow & { emailHash: string | null })[]): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map((r) =>
      // Absent keys come out of jsonb_to_recordset as SQL NULL (a JSON null would be a jsonb 'null').
      withoutNulls({
        id: r.id,
        account_id: r.accountId,
        source_id: r.sourceId,
        status: r.status,
        type: r.type,
        received_at: r.receivedAt,
        occurred_at: r.occurredAt,
        dialect: r.dialect,
        email_hash: r.emailHash,
        summary: r.summary,
        raw: r.raw,
        canonical: r.canonical,
        enrichment: r.enrichment,
        reasons: r.reasons,
        duplicate: r.duplicate,
        may_repeat: r.mayRepeat,
      }),
    );
    // One row per event id: an event seen again with another received_at (a sender's retry with the
    // same Idempotency-Key gets the same id, and the validator processes it again) lands on the row
    // of its first-seen received_at. The primary key must hold the partition key, hence the lookup
    // (feed_events_account_id_idx, one probe per partition) instead of ON CONFLICT (id). No min()/ORDER
    // BY there: PostgreSQL would answer it by walking (account_id, received_at, id) through all of the
    // account's rows (bench/results/scale.md measured 62× slower batches at 30 days of partitions).
    // Only ids that may repeat (FeedRow.mayRepeat) are looked up, and a batch without any gets a
    // statement without the lookup: planning a subquery over every daily partition cost more than
    // the writes (bench/README.md, "Feed writes without the partition lookup"). CASE runs the
    // chosen branch only.
    const lookup = rows.some((r) => r.mayRepeat);
    await this.ds.query(
      lookup ? UPSERT_WITH_LOOKUP_SQL : UPSERT_SQL,
      [JSON.stringify(records)],
    );
  }

  list(accountId: string, f: FeedFilter, limit: number, after?: KeysetPosition): Promise<FeedEventRow[]> {
    const where = ['f.account_id = $1'];
    const params: unknown[] = [accountId];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.type) add('f.type = ?', f.type);
    if (f.status) add('f.status = ?', f.status);
    if (f.sourceId) add('f.source_id = ?', f.sourceId);
    if (f.from) add('f.received_at >= ?', f.from);
    if (f.to) add('f.received_at < ?', f.to);
    if (f.emailHash) add('f.email_hash = ?', f.emailHash);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(f.received_at, f.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit);
    return this.ds.query(
      `SELECT ${COLUMNS} FROM feed_events f ${DELIVERY_COUNTS} WHERE ${where.join(' AND ')} ORDER BY f.received_at DESC, f.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  async story(accountId: string, id: string): Promise<FeedStoryRow | undefined> {
    const rows: FeedStoryRow[] = await this.ds.query(
      `SELECT ${COLUMNS}, f.raw, f.canonical, f.enrichment, f.reasons, f.duplicate
         FROM feed_events f ${DELIVERY_COUNTS} WHERE f.account_id = $1 AND f.id = $2 LIMIT 1`,
      [accountId, id],
    );
    return rows[0];
  }

  /**
   * Events per time bucket and status (the dashboard's events chart): buckets start on multiples of
   * `bucketSeconds` since the Unix epoch; stays on `(account_id, received_at)` within the window's days.
   */
  countsByStatus(accountId: string, from: Date, to: Date, bucketSeconds: number): Promise<FeedStatusCount[]> {
    return this.ds.query(
      `SELECT date_bin(make_interval(secs => $4), received_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket, status AS key, count(*)::int AS count
         FROM feed_events WHERE account_id = $1 AND received_at >= $2 AND received_at < $3
        GROUP BY 1, 2`,
      [accountId, from, to, bucketSeconds],
    );
  }
}
