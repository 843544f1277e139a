import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `deliveries` back to full pages (fillfactor 100, PostgreSQL's default). Migration
 * 1764600000000 left half of each page empty for the row's next version, when every row was
 * written at least twice (a pending row, then the attempt's outcome). Since the direct path
 * (delivery's intake sends a request before it has a row and writes the row once, with its
 * outcome) nearly every row is written once and never updated: 49,700–50,000 of a fan-out-10
 * pipeline-bench run's 50,000, all 20,000 at fan-out 1. The room was kept for nothing. Measured on the
 * bench's rows (bench/README.md, session 20): 4,096 heap bytes per row at fillfactor 50 against
 * 1,638 at 100 (2 rows per 8 kB page against 5). A row that is updated (a retry, a row written
 * first for a slow endpoint or the scheduler) now usually gets its new version on another page:
 * 2,126 WAL bytes per update against 718. WAL is recycled, the heap is kept for
 * DELIVERY_RETENTION_DAYS. Applies to pages allocated from now on; existing pages are not rewritten.
 */
export class DeliveriesFillfactorReset1764900000000 implements MigrationInterface {
  name = 'DeliveriesFillfactorReset1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE deliveries RESET (fillfactor)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE deliveries SET (fillfactor = 50)');
  }
}
