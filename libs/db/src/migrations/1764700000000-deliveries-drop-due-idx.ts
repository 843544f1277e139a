import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `deliveries_due_idx` (next_attempt_at, failed rows only) is redundant: every statement that
 * looks for due rows asks for `status IN ('pending', 'failed')` and uses `deliveries_due_open_idx`
 * (next_attempt_at over pending and failed rows), and no statement asks for failed rows alone. It
 * still cost an index entry on every write of a failed row — each failed attempt's outcome update
 * (never HOT) and each claim of a retry.
 */
export class DeliveriesDropDueIdx1764700000000 implements MigrationInterface {
  name = 'DeliveriesDropDueIdx1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS deliveries_due_idx');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS deliveries_due_idx ON deliveries(next_attempt_at) WHERE status = 'failed'`);
  }
}
