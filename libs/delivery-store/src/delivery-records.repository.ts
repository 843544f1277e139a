import { Inject, Injectable } from '@nestjs/common';
import { DataSource, keysetTime, type KeysetPosition } from '@hookstream/db';
import { RETRYABLE_STATUSES, type DeliveryStatus } from './delivery-status';

const RETRYABLE = `(${RETRYABLE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
/** Make due now; keep `updated_at` untouched — the delivery app uses it as its lease token. */
const MAKE_DUE = `status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'failed' END, next_attempt_at = now()`;

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  account_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_http_status: number | null;
  last_error: string | null;
  created_at: Date;
  /** created_at to the microsecond, for the keyset cursor. */
  cursor_at: string;
  updated_at: Date;
  endpoint_url: string | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  outcome: string;
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
  attempted_at: Date;
}

const FAILED = `('failed', 'exhausted', 'endpoint_disabled')`;

export interface AttemptHealth {
  attempts: number;
  succeeded: number;
  failed: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** The first failure after the last success, while the last attempt failed; else null. */
  failingSince: Date | null;
}

export interface DeliveryFilter {
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
}

const SELECT_DELIVERY = `SELECT d.id, d.webhook_id, d.account_id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_http_status, d.last_error, d.created_at, d.updated_at, e.url AS endpoint_url, ${keysetTime('d.created_at')} AS cursor_at
  FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id`;

/**
 * Reads of `deliveries` / `delivery_attempts` for the API (lists, an event's deliveries, the
 * endpoint health widget), and the one command another app may give them: "retry now" / replay,
 * which only makes deliveries due (apps/delivery/README.md documents it as its contract).
 */
@Injectable()
export class DeliveryRecordsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  list(accountId: string, f: DeliveryFilter, limit: number, after?: KeysetPosition): Promise<DeliveryRow[]> {
    const where = ['d.account_id = $1'];
    const params: unknown[] = [accountId];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.endpointId) add('d.endpoint_id = ?', f.endpointId);
    if (f.eventId) add('d.event_id = ?', f.eventId);
    if (f.status) add('d.status = ?', f.status);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit);
    return this.ds.query(`${SELECT_DELIVERY} WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.length}`, params);
  }

  async get(accountId: string, id: string): Promise<DeliveryRow | undefined> {
    const rows: DeliveryRow[] = await this.ds.query(`${SELECT_DELIVERY} WHERE d.id = $1 AND d.account_id = $2`, [id, accountId]);
    return rows[0];
  }

  byEvent(accountId: string, eventId: string): Promise<DeliveryRow[]> {
    return this.ds.query(`${SELECT_DELIVERY} WHERE d.event_id = $1 AND d.account_id = $2 ORDER BY d.created_at, d.id`, [eventId, accountId]);
  }

  attemptsOf(deliveryIds: string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.ds.query(
      `SELECT delivery_id, attempt, outcome, http_status, latency_ms, error, response_body, attempted_at
         FROM delivery_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`,
      [deliveryIds],
    );
  }

  /** Makes one delivery due now; undefined when it is not the account's or not retryable. */
  async retryNow(accountId: string, id: string): Promise<{ id: string; status: string; next_attempt_at: Date } | undefined> {
    const [rows] = (await this.ds.query(`UPDATE deliveries SET ${MAKE_DUE} WHERE id = $1 AND account_id = $2 AND status IN ${RETRYABLE} RETURNING id, status, next_attempt_at`, [
      id,
      accountId,
    ])) as [{ id: string; status: string; next_attempt_at: Date }[], number];
    return rows[0];
  }

  /** Makes every retryable delivery of the endpoint created since `since` due now; returns how many. */
  async replay(accountId: string, endpointId: string, since: Date): Promise<number> {
    const [, count] = (await this.ds.query(`UPDATE deliveries SET ${MAKE_DUE} WHERE account_id = $1 AND endpoint_id = $2 AND created_at >= $3 AND status IN ${RETRYABLE}`, [
      accountId,
      endpointId,
      since,
    ])) as [unknown, number];
    return count;
  }

  /**
   * The endpoint health widget's figures, all from `delivery_attempts` in one statement (one
   * snapshot): the last 24 h counts and the success/failure times the "failing since" comes from.
   * (It once mixed these counts with `endpoint_health`, fed by the delivery-results topic, and
   * could show "100 % of 6" next to "failing since just now".) Every lookup walks the
   * `(endpoint_id, attempted_at DESC)` index.
   */
  async attemptHealth(endpointId: string, since: Date): Promise<AttemptHealth> {
    const rows: AttemptHealth[] = await this.ds.query(
      `WITH last_success AS (
         SELECT max(attempted_at) AS at FROM (SELECT attempted_at FROM delivery_attempts WHERE endpoint_id = $1 AND outcome = 'succeeded' ORDER BY attempted_at DESC LIMIT 1) x),
       last_failure AS (
         SELECT max(attempted_at) AS at FROM (SELECT attempted_at FROM delivery_attempts WHERE endpoint_id = $1 AND outcome IN ${FAILED} ORDER BY attempted_at DESC LIMIT 1) x)
       SELECT c.attempts, c.succeeded, c.failed, s.at AS "lastSuccessAt", f.at AS "lastFailureAt",
              CASE WHEN f.at IS NOT NULL AND (s.at IS NULL OR f.at > s.at) THEN
                (SELECT min(attempted_at) FROM delivery_attempts WHERE endpoint_id = $1 AND outcome IN ${FAILED} AND attempted_at > COALESCE(s.at, '-infinity'))
              END AS "failingSince"
         FROM last_success s, last_failure f,
              (SELECT count(*)::int AS attempts,
                      count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
                      count(*) FILTER (WHERE outcome IN ${FAILED})::int AS failed
                 FROM delivery_attempts WHERE endpoint_id = $1 AND attempted_at >= $2 AND outcome <> 'skipped') c`,
      [endpointId, since],
    );
    return rows[0];
  }

}
