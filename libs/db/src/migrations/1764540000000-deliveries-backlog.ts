import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deleting, disabling and enabling an endpoint acts on its open deliveries in bulk (cancel,
 * hold, resume): this partial index finds them without reading the endpoint's finished ones.
 * Retention deletes `deliveries` (and their attempts) oldest first by `created_at`.
 */
export class DeliveriesBacklog1764540000000 implements MigrationInterface {
  name = 'DeliveriesBacklog1764540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS deliveries_open_endpoint_idx ON deliveries(endpoint_id) WHERE status IN ('pending', 'failed')`);
    await q.query(`CREATE INDEX IF NOT EXISTS deliveries_created_idx ON deliveries(created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS deliveries_created_idx');
    await q.query('DROP INDEX IF EXISTS deliveries_open_endpoint_idx');
  }
}
