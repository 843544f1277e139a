import { Inject, Injectable } from '@nestjs/common';
import type { AttemptOutcome, DeliveryRequestDto } from '@hookstream/contracts';
import { DataSource, preparedStatement } from '@hookstream/db';
import type { DeliveryStatus } from '@hookstream/delivery-store';
import { StatementBatcher } from './statement-batcher';

/**
 * A delivery this process may work on. `leaseToken` is the row's `updated_at` when it was
 * claimed: starting an attempt compares it, so if the lease ran out and another replica
 * claimed the row meanwhile, only one of them sends.
 */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  leaseToken: string;
}

export interface StartedAttempt {
  request: DeliveryRequestDto;
  /** Attempts recorded so far. */
  attempts: number;
  createdAt: Date;
  leaseToken: string;
}

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  outcome: AttemptOutcome;
  status: DeliveryStatus;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  attemptedAt: Date;
  nextAttemptAt: Date | null;
}

/**
 * A row the scheduler claimed, with what its first statement would otherwise read back: the
 * attempt can then start under the claim's lease without a start statement (see AttemptService).
 */
export interface ClaimedDue extends ClaimedDelivery {
  request: DeliveryRequestDto;
  attempts: number;
  createdAt: Date;
}

interface ClaimRow {
  id: string;
  endpoint_id: string;
  lease_token: string;
}

interface ClaimDueRow extends ClaimRow {
  request: DeliveryRequestDto;
  attempts: number;
  created_at: Date;
}

interface StartRow {
  /** null when the caller already holds the request. */
  request: DeliveryRequestDto | null;
  attempts: number;
  created_at: Date;
  lease_token: string;
}

const OPEN = `status IN ('pending', 'failed')`;

interface StartItem {
  d: ClaimedDelivery;
  leaseSeconds: number;
  known: DeliveryRequestDto | undefined;
}

interface RecordItem {
  a: AttemptRecord;
  leaseToken: string;
}

interface FirstItem {
  a: AttemptRecord;
  request: DeliveryRequestDto;
  createdAt: Date;
}

/** CTE `ins`: the attempt rows of CTE `a` (one per delivery_id and attempt; a replayed record adds nothing). */
const INSERT_ATTEMPTS_FROM_A = `ins AS (
         INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, response_headers, response_body, attempted_at)
         SELECT delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, response_headers, response_body, attempted_at FROM a
         ON CONFLICT (delivery_id, attempt) DO NOTHING)`;
/** Pending, leased rows of a batch (`insertNew`): $1 the rows as a JSON array, $2 the lease in seconds. */
const INSERT_NEW_SQL = preparedStatement(
  `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT r.id, r.webhook_id, r.account_id, r.endpoint_id, r.event_id, r.event_type, r.request, 'pending', 0,
              CASE WHEN r.due THEN now() ELSE now() + make_interval(secs => $2) END, now(), now()
         FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, webhook_id text, account_id text, endpoint_id text, event_id text, event_type text, request jsonb, due boolean)
        -- In id order, as every other batch statement here: a direct attempt's first-attempt upsert
        -- may hold some of these ids uncommitted, and two batches taking the same keys in different
        -- orders deadlock (PostgreSQL then aborts one, and its whole batch is read again).
        ORDER BY r.id
       ON CONFLICT (id) DO NOTHING
       RETURNING id, endpoint_id, updated_at::text AS lease_token`);

/** Which of $1 (delivery ids) have a row (`existing`). */
const EXISTING_SQL = preparedStatement(
  `SELECT id FROM deliveries WHERE id = ANY($1::text[])`);

/** Takes rows for their attempts (`startMany`): $1 the ids, lease tokens and leases as a JSON array. */
const START_MANY_SQL = preparedStatement(
  `UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => r.lease_seconds), updated_at = now()
         FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, lease_token text, lease_seconds double precision, need_request boolean) ORDER BY id) r
        WHERE d.id = r.id AND d.updated_at = r.lease_token::timestamptz AND d.${OPEN}
        RETURNING d.id, CASE WHEN r.need_request THEN d.request END AS request, d.attempts, d.created_at, d.updated_at::text AS lease_token`);

/** Attempt rows and their deliveries' new state (`recordMany`): $1 the attempts as a JSON array. */
const RECORD_MANY_SQL = preparedStatement(
  `WITH a AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           delivery_id text, attempt integer, endpoint_id text, outcome text, http_status integer, latency_ms integer, error text,
           response_headers jsonb, response_body text, attempted_at timestamptz, status text, next_attempt_at timestamptz, lease_token text)
         ORDER BY delivery_id),
       ${INSERT_ATTEMPTS_FROM_A}
       UPDATE deliveries d SET status = a.status, attempts = a.attempt, next_attempt_at = a.next_attempt_at, last_http_status = a.http_status,
              last_error = a.error, updated_at = now()
         FROM a
        WHERE d.id = a.delivery_id AND d.updated_at = a.lease_token::timestamptz
        RETURNING d.id`);

/** First attempts made before their delivery had a row (`recordFirstMany`): $1 the attempts and requests as a JSON array. */
const RECORD_FIRST_MANY_SQL = preparedStatement(
  `WITH a AS (
         SELECT DISTINCT ON (delivery_id) * FROM jsonb_to_recordset($1::jsonb) AS x(
           delivery_id text, attempt integer, endpoint_id text, outcome text, http_status integer, latency_ms integer, error text,
           response_headers jsonb, response_body text, attempted_at timestamptz, status text, next_attempt_at timestamptz,
           webhook_id text, account_id text, event_id text, event_type text, request jsonb, created_at timestamptz)
         ORDER BY delivery_id),
       ${INSERT_ATTEMPTS_FROM_A}
       INSERT INTO deliveries AS d (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at,
                                    last_http_status, last_error, created_at, updated_at)
       SELECT delivery_id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempt, next_attempt_at,
              http_status, error, created_at, now() FROM a
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,
              last_http_status = EXCLUDED.last_http_status, last_error = EXCLUDED.last_error, updated_at = now()
        WHERE d.attempts = 0 AND d.status = 'pending'
       RETURNING d.id`);

/** Items per batched statement, and batched statements in flight per kind (the pool has 10 connections). */
const WRITE_BATCH = 500;
const WRITE_CONCURRENCY = 3;

/** Every statement delivery runs against `deliveries` and `delivery_attempts` (it owns both). */
@Injectable()
export class DeliveriesRepository {
  private readonly starts = new StatementBatcher<StartItem, StartedAttempt | undefined>({
    run: (items) => this.startMany(items),
    maxBatch: WRITE_BATCH,
    maxConcurrent: WRITE_CONCURRENCY,
  });
  private readonly records = new StatementBatcher<RecordItem, boolean>({
    run: (items) => this.recordMany(items),
    maxBatch: WRITE_BATCH,
    maxConcurrent: WRITE_CONCURRENCY,
  });
  private readonly firsts = new StatementBatcher<FirstItem, boolean>({
    run: (items) => this.recordFirstMany(items),
    maxBatch: WRITE_BATCH,
    maxConcurrent: WRITE_CONCURRENCY,
  });

  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Rows of any statement (TypeORM's plain `query` shapes UPDATE results differently from INSERT). */
  private async rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    const runner = this.ds.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return result.records as T[];
    } finally {
      await runner.release();
    }
  }

  /**
   * One statement per consumed batch. Rows get a lease (`next_attempt_at` in the future) so a
   * crash before the first attempt hands them to the scheduler; those in `dueNow` (their
   * endpoint's in-memory queue has no room for them) are due at once instead, for the scheduler,
   * rather than leased and released by a second statement. Returns only rows that did not exist:
   * a redelivered request is not dispatched again.
   */
  async insertNew(requests: readonly DeliveryRequestDto[], leaseSeconds: number, dueNow: ReadonlySet<string> = new Set()): Promise<ClaimedDelivery[]> {
    if (requests.length === 0) return [];
    const rows = requests.map((r) => ({
      id: r.id,
      webhook_id: r.webhookId,
      account_id: r.accountId,
      endpoint_id: r.endpointId,
      event_id: r.eventId,
      event_type: r.eventType,
      request: r,
      due: dueNow.has(r.id) || undefined,
    }));
    const result = await this.rows<ClaimRow>(
      INSERT_NEW_SQL,
      [JSON.stringify(rows), leaseSeconds],
    );
    return result.map(toClaimed);
  }

  /** Which of these deliveries already have a row (a redelivered request is not sent again). */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.rows<{ id: string }>(EXISTING_SQL, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Due rows, oldest first; SKIP LOCKED lets any number of replicas poll side by side. Rows of
   * `skipEndpoints` (lanes already full here) are left for later or for another replica. Each
   * row comes with its request, attempts and creation time, so its attempt needs no start
   * statement while the claim's lease still covers it.
   */
  async claimDue(limit: number, leaseSeconds: number, skipEndpoints: readonly string[] = []): Promise<ClaimedDue[]> {
    const result = await this.rows<ClaimDueRow>(
      `UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
        WHERE d.id IN (SELECT id FROM deliveries WHERE ${OPEN} AND next_attempt_at <= now() AND endpoint_id <> ALL($3::text[])
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.endpoint_id, d.updated_at::text AS lease_token, d.request, d.attempts, d.created_at`,
      [limit, leaseSeconds, skipEndpoints],
    );
    return result.map((r) => ({ ...toClaimed(r), request: r.request, attempts: r.attempts, createdAt: new Date(r.created_at) }));
  }

  /**
   * Takes the row for one attempt if this process still holds its lease, and extends the
   * lease past the HTTP timeout. undefined: someone else has it, or it is finished. Concurrent
   * calls share one statement (see StatementBatcher). `known` is the request when the caller
   * already holds it (fresh from the topic), so the row's jsonb is not read back.
   */
  startAttempt(d: ClaimedDelivery, leaseSeconds: number, known?: DeliveryRequestDto): Promise<StartedAttempt | undefined> {
    return this.starts.add({ d, leaseSeconds, known });
  }

  /** The attempt row and the delivery's new state, in one statement (shared with concurrent calls). */
  recordAttempt(a: AttemptRecord, leaseToken: string): Promise<boolean> {
    return this.records.add({ a, leaseToken });
  }

  /**
   * A first attempt made before the delivery had a row (see DeliveryIntakeService): the row is
   * written once, with the attempt's outcome, beside the attempt row. If the consumer stopped
   * waiting and gave the delivery its pending (leased) row meanwhile, that row — still pending
   * with no attempt — takes the outcome instead; any other existing row (another consumer's) is
   * left alone and false returned. Concurrent calls share one statement.
   */
  recordFirstAttempt(a: AttemptRecord, request: DeliveryRequestDto, createdAt: Date): Promise<boolean> {
    return this.firsts.add({ a, request, createdAt });
  }

  private async startMany(items: StartItem[]): Promise<(StartedAttempt | undefined)[]> {
    const rows = await this.rows<StartRow & { id: string }>(
      START_MANY_SQL,
      [JSON.stringify(items.map((i) => ({ id: i.d.id, lease_token: i.d.leaseToken, lease_seconds: i.leaseSeconds, need_request: i.known === undefined })))],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return items.map((i) => {
      const r = byId.get(i.d.id);
      if (!r) return undefined;
      const request = i.known ?? r.request;
      // Cannot happen (the row's request is read whenever the caller has none); refuse rather than send an empty body.
      if (request === null) return undefined;
      return { request, attempts: r.attempts, createdAt: new Date(r.created_at), leaseToken: r.lease_token };
    });
  }

  private async recordMany(items: RecordItem[]): Promise<boolean[]> {
    const rows = await this.rows<{ id: string }>(
      RECORD_MANY_SQL,
      [
        JSON.stringify(
          items.map(({ a, leaseToken }) => ({
            delivery_id: a.deliveryId, attempt: a.attempt, endpoint_id: a.endpointId, outcome: a.outcome, http_status: a.httpStatus,
            latency_ms: a.latencyMs, error: a.error, response_headers: a.responseHeaders, response_body: a.responseBody,
            attempted_at: a.attemptedAt.toISOString(), status: a.status, next_attempt_at: a.nextAttemptAt ? a.nextAttemptAt.toISOString() : null,
            lease_token: leaseToken,
          })),
        ),
      ],
    );
    const kept = new Set(rows.map((r) => r.id));
    return items.map((i) => kept.has(i.a.deliveryId));
  }

  private async recordFirstMany(items: FirstItem[]): Promise<boolean[]> {
    const rows = await this.rows<{ id: string }>(
      RECORD_FIRST_MANY_SQL,
      [
        JSON.stringify(
          items.map(({ a, request, createdAt }) => ({
            delivery_id: a.deliveryId, attempt: a.attempt, endpoint_id: a.endpointId, outcome: a.outcome, http_status: a.httpStatus,
            latency_ms: a.latencyMs, error: a.error, response_headers: a.responseHeaders, response_body: a.responseBody,
            attempted_at: a.attemptedAt.toISOString(), status: a.status, next_attempt_at: a.nextAttemptAt ? a.nextAttemptAt.toISOString() : null,
            webhook_id: request.webhookId, account_id: request.accountId, event_id: request.eventId, event_type: request.eventType,
            request, created_at: createdAt.toISOString(),
          })),
        ),
      ],
    );
    const kept = new Set(rows.map((r) => r.id));
    return items.map((i) => kept.has(i.a.deliveryId));
  }

  /**
   * Rows this process claimed but cannot hold in memory (the endpoint's queue is full): due
   * again at `at` instead of after the whole lease, for whichever replica has room first.
   */
  async release(rows: readonly ClaimedDelivery[], at: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.ds.query(
      `UPDATE deliveries d SET next_attempt_at = $2, updated_at = now()
         FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, lease_token text) ORDER BY id) r
        WHERE d.id = r.id AND d.updated_at = r.lease_token::timestamptz AND d.${OPEN}`,
      [JSON.stringify(rows.map((r) => ({ id: r.id, lease_token: r.leaseToken }))), at],
    );
  }

  /** Puts a row back for later without counting an attempt (open circuit, endpoint not known yet). */
  async defer(d: ClaimedDelivery, at: Date): Promise<void> {
    await this.ds.query(
      `UPDATE deliveries SET next_attempt_at = $3, updated_at = now() WHERE id = $1 AND updated_at = $2::timestamptz AND ${OPEN}`,
      [d.id, d.leaseToken, at],
    );
  }

  /**
   * A held row (its endpoint is disabled): `next_attempt_at` NULL keeps it open but never due,
   * without counting an attempt. Only while this process still holds its lease.
   */
  async hold(d: ClaimedDelivery): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE deliveries SET next_attempt_at = NULL WHERE id = $1 AND updated_at = $2::timestamptz AND ${OPEN} RETURNING id`,
      [d.id, d.leaseToken],
    );
    return rows.length > 0;
  }

  /**
   * Holds every open delivery of these (disabled) endpoints. `updated_at` (the lease token) is
   * left alone, so an attempt already in flight still records its outcome; its row comes back
   * through the scheduler and is then held on its own.
   */
  async holdEndpoints(endpointIds: readonly string[]): Promise<number> {
    return this.count(
      `WITH u AS (UPDATE deliveries SET next_attempt_at = NULL
                   WHERE endpoint_id = ANY($1::text[]) AND ${OPEN} AND next_attempt_at IS NOT NULL RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [endpointIds],
    );
  }

  /** Makes the held deliveries of these (enabled again) endpoints due now; `ids` narrows it to some rows. */
  async resumeEndpoints(endpointIds: readonly string[], ids?: readonly string[]): Promise<number> {
    return this.count(
      `WITH u AS (UPDATE deliveries SET next_attempt_at = now()
                   WHERE endpoint_id = ANY($1::text[]) AND ${OPEN} AND next_attempt_at IS NULL AND ($2::text[] IS NULL OR id = ANY($2::text[])) RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [endpointIds, ids ?? null],
    );
  }

  /**
   * Cancels the open deliveries of deleted endpoints, `limit` rows per statement until none is
   * left: status `cancelled`, `last_error` = `reason`, and an attempt row (outcome `skipped`)
   * that says why, so each delivery's story ends with the reason. Rows locked by a concurrent
   * claim are skipped here; their attempt finds the endpoint deleted and cancels them alone.
   */
  async cancelEndpoints(endpointIds: readonly string[], reason: string, limit = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.count(
        `WITH c AS (
           UPDATE deliveries d SET status = 'cancelled', attempts = d.attempts + 1, next_attempt_at = NULL, last_http_status = NULL,
                  last_error = $2, updated_at = now()
            WHERE d.id IN (SELECT id FROM deliveries WHERE endpoint_id = ANY($1::text[]) AND ${OPEN} LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING d.id, d.endpoint_id, d.attempts),
         ins AS (
           INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, attempted_at)
           SELECT id, attempts, endpoint_id, 'skipped', NULL, 0, $2, now() FROM c
           ON CONFLICT (delivery_id, attempt) DO NOTHING)
         SELECT count(*)::int AS n FROM c`,
        [endpointIds, reason, limit],
      );
      total += n;
      if (n < limit) return total;
    }
  }

  /**
   * Retention: deletes up to `limit` deliveries created before `cutoff` (whatever their status:
   * a row that old is finished, or held for an endpoint disabled all that time) with their
   * attempts, oldest first. SKIP LOCKED lets replicas purge side by side; MATERIALIZED runs the
   * locking SELECT once (inside `IN (…)` a plan may run it per joined row, each run skipping the
   * rows already deleted, and delete far more than `limit` in one transaction).
   */
  async purgeCreatedBefore(cutoff: Date, limit: number): Promise<{ deliveries: number; attempts: number }> {
    const rows = await this.rows<{ deliveries: number; attempts: number }>(
      `WITH doomed AS MATERIALIZED (SELECT id FROM deliveries WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
            d AS (DELETE FROM deliveries x USING doomed WHERE x.id = doomed.id RETURNING x.id),
            a AS (DELETE FROM delivery_attempts x USING d WHERE x.delivery_id = d.id RETURNING 1)
       SELECT (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts`,
      [cutoff, limit],
    );
    return rows[0] ?? { deliveries: 0, attempts: 0 };
  }

  /** How long (seconds) the oldest delivery created before `cutoff` has been past it; 0 when none is (deliveries_created_idx). */
  async secondsPastCutoff(cutoff: Date): Promise<number> {
    const rows = await this.rows<{ s: number | null }>(
      `SELECT extract(epoch FROM $1::timestamptz - min(created_at))::float8 AS s FROM deliveries WHERE created_at < $1`,
      [cutoff],
    );
    return rows[0]?.s ?? 0;
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const rows = await this.rows<{ n: number }>(sql, params);
    return rows[0]?.n ?? 0;
  }

  /**
   * "Retry now": the next scheduler poll (any replica) picks it up. An exhausted or cancelled
   * delivery gets one more attempt. control-api runs the same statement on its side.
   */
  async retryNow(id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE deliveries SET status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'failed' END, next_attempt_at = now()
        WHERE id = $1 AND status IN ('pending', 'failed', 'exhausted', 'cancelled') RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }
}

function toClaimed(r: ClaimRow): ClaimedDelivery {
  return { id: r.id, endpointId: r.endpoint_id, leaseToken: r.lease_token };
}
