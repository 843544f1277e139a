/**
 * Position in a list ordered by (time DESC, id DESC): opaque to clients. `at` keeps PostgreSQL's
 * full microsecond precision (see `keysetTime`): the rows of one batch insert share one `now()`,
 * and a cursor rounded to the millisecond would skip the rest of that batch on the next page.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

/** SQL for a timestamptz column as the cursor keeps it: UTC, every microsecond. */
export function keysetTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
