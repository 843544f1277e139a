import { Inject, Injectable } from '@nestjs/common';
import type { AttemptOutcome, DeliveryRequestDto } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import type { DeliveryStatus } from './attempt-outcome';

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

interface ClaimRow {
  id: string;
  endpoint_id: string;
  lease_token: string;
}

interface StartRow {
  request: DeliveryRequestDto;
  attempts: number;
  created_at: Date;
  lease_token: string;
}

const OPEN = `status IN ('pending', 'failed')`;

/** Every statement delivery runs against `deliveries` and `delivery_attempts` (it owns both). */
@Injectable()
export class DeliveriesRepository {
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
   * crash before the first attempt hands them to the scheduler. Returns only rows that did not
   * exist: a redelivered request is not dispatched again.
   */
  async insertNew(requests: readonly DeliveryRequestDto[], leaseSeconds: number): Promise<ClaimedDelivery[]> {
    if (requests.length === 0) return [];
    const rows = requests.map((r) => ({
      id: r.id,
      webhook_id: r.webhookId,
      account_id: r.accountId,
      endpoint_id: r.endpointId,
      event_id: r.eventId,
      event_type: r.eventType,
      request: r,
    }));
    const result = await this.rows<ClaimRow>(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT r.id, r.webhook_id, r.account_id, r.endpoint_id, r.event_id, r.event_type, r.request, 'pending', 0,
              now() + make_interval(secs => $2), now(), now()
         FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, webhook_id text, account_id text, endpoint_id text, event_id text, event_type text, request jsonb)
       ON CONFLICT (id) DO NOTHING
       RETURNING id, endpoint_id, updated_at::text AS lease_token`,
      [JSON.stringify(rows), leaseSeconds],
    );
    return result.map(toClaimed);
  }

  /** Due rows, oldest first; SKIP LOCKED lets any number of replicas poll side by side. */
  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const result = await this.rows<ClaimRow>(
      `UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
        WHERE d.id IN (SELECT id FROM deliveries WHERE ${OPEN} AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.endpoint_id, d.updated_at::text AS lease_token`,
      [limit, leaseSeconds],
    );
    return result.map(toClaimed);
  }

  /**
   * Takes the row for one attempt if this process still holds its lease, and extends the
   * lease past the HTTP timeout. undefined: someone else has it, or it is finished.
   */
  async startAttempt(d: ClaimedDelivery, leaseSeconds: number): Promise<StartedAttempt | undefined> {
    const rows = await this.rows<StartRow>(
      `UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
        WHERE id = $1 AND updated_at = $2::timestamptz AND ${OPEN}
        RETURNING request, attempts, created_at, updated_at::text AS lease_token`,
      [d.id, d.leaseToken, leaseSeconds],
    );
    const r = rows[0];
    return r ? { request: r.request, attempts: r.attempts, createdAt: new Date(r.created_at), leaseToken: r.lease_token } : undefined;
  }

  /** The attempt row and the delivery's new state, in one statement. */
  async recordAttempt(a: AttemptRecord, leaseToken: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `WITH attempt AS (
         INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, response_headers, response_body, attempted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
         ON CONFLICT (delivery_id, attempt) DO NOTHING)
       UPDATE deliveries SET status = $11, attempts = $2, next_attempt_at = $12, last_http_status = $5, last_error = $7, updated_at = now()
        WHERE id = $1 AND updated_at = $13::timestamptz
        RETURNING id`,
      [
        a.deliveryId, a.attempt, a.endpointId, a.outcome, a.httpStatus, a.latencyMs, a.error,
        a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders), a.responseBody, a.attemptedAt,
        a.status, a.nextAttemptAt, leaseToken,
      ],
    );
    return rows.length > 0;
  }

  /** Puts a row back for later without counting an attempt (open circuit, endpoint not known yet). */
  async defer(d: ClaimedDelivery, at: Date): Promise<void> {
    await this.ds.query(
      `UPDATE deliveries SET next_attempt_at = $3, updated_at = now() WHERE id = $1 AND updated_at = $2::timestamptz AND ${OPEN}`,
      [d.id, d.leaseToken, at],
    );
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
