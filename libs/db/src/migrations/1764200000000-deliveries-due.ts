import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery scheduler claims `status IN ('pending','failed') AND next_attempt_at <= now()`.
 * The initial partial index covers only 'failed', so pending rows (a crash before the first
 * attempt, a full in-memory queue, an open circuit) would need a scan of the whole table.
 */
export class DeliveriesDue1764200000000 implements MigrationInterface {
  name = 'DeliveriesDue1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS deliveries_due_open_idx ON deliveries(next_attempt_at) WHERE status IN ('pending', 'failed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS deliveries_due_open_idx');
  }
}
