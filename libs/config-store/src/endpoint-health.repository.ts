import { Inject, Injectable } from '@nestjs/common';
import { DataSource, preparedStatement } from '@hookstream/db';
import type { HealthDelta } from './health-fold';

export interface HealthRow {
  endpoint_id: string;
  account_id: string;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
}

/** Health deltas of a batch of results (`apply`): $1 the deltas as a JSON array, $2 the failing threshold. */
const APPLY_SQL = preparedStatement(
  `WITH applied AS (
         INSERT INTO endpoint_health AS h (endpoint_id, account_id, failing_since, last_success_at, last_failure_at, updated_at)
         SELECT endpoint_id, account_id, failing_since, last_success_at, last_failure_at, now()
           FROM jsonb_to_recordset($1::jsonb) AS x(endpoint_id text, account_id text, failing_since timestamptz, last_success_at timestamptz, last_failure_at timestamptz)
         ON CONFLICT (endpoint_id) DO UPDATE SET
           last_success_at = GREATEST(h.last_success_at, EXCLUDED.last_success_at),
           last_failure_at = GREATEST(h.last_failure_at, EXCLUDED.last_failure_at),
           failing_since = CASE
             WHEN EXCLUDED.last_success_at IS NOT NULL AND EXCLUDED.last_success_at >= COALESCE(h.last_success_at, '-infinity') THEN EXCLUDED.failing_since
             WHEN EXCLUDED.failing_since IS NOT NULL AND EXCLUDED.failing_since > COALESCE(h.last_success_at, '-infinity')
               THEN LEAST(COALESCE(h.failing_since, EXCLUDED.failing_since), EXCLUDED.failing_since)
             ELSE h.failing_since END,
           updated_at = now()
         RETURNING endpoint_id, account_id, failing_since, last_success_at, last_failure_at)
       SELECT * FROM applied WHERE failing_since <= $2`);

/** `endpoint_health`: fed by delivery-results (EndpointHealthService, run by apps/projector). */
@Injectable()
export class EndpointHealthRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * One statement per batch (the batch folded per endpoint in memory first, `foldResults`).
   * Order-independent and idempotent: times only move forward, and a failure streak only starts
   * after the latest known success. Returns the rows now failing since `failingSince` or earlier
   * (the candidates for the failing rule), usually none.
   */
  async apply(deltas: HealthDelta[], failingSince: Date): Promise<HealthRow[]> {
    if (deltas.length === 0) return [];
    const rows = deltas.map((d) => ({
      endpoint_id: d.endpointId,
      account_id: d.accountId,
      failing_since: d.failingSince,
      last_success_at: d.lastSuccessAt,
      last_failure_at: d.lastFailureAt,
    }));
    return this.ds.query(
      APPLY_SQL,
      [JSON.stringify(rows), failingSince],
    );
  }

  async get(endpointId: string): Promise<HealthRow | undefined> {
    const rows: HealthRow[] = await this.ds.query(
      'SELECT endpoint_id, account_id, failing_since, last_success_at, last_failure_at FROM endpoint_health WHERE endpoint_id = $1',
      [endpointId],
    );
    return rows[0];
  }

  /** Enabled endpoints failing since before `before`. */
  failingEnabledSince(before: Date): Promise<HealthRow[]> {
    return this.ds.query(
      `SELECT h.endpoint_id, h.account_id, h.failing_since, h.last_success_at, h.last_failure_at
         FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id AND e.account_id = h.account_id
        WHERE e.enabled AND h.failing_since <= $1`,
      [before],
    );
  }

  /** A disable ends the streak: after a re-enable the endpoint gets the full period again. */
  async resetStreak(endpointId: string): Promise<void> {
    await this.ds.query('UPDATE endpoint_health SET failing_since = NULL, updated_at = now() WHERE endpoint_id = $1', [endpointId]);
  }
}
