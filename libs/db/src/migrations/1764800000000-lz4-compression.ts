import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The columns that hold payloads — an event's raw request, canonical event and enrichment in the
 * feed, a delivery's request, an attempt's kept response — are compressed with lz4 instead of
 * PostgreSQL's default pglz. A row over ~2 kB (a webhook with line items or many headers; at fan-out
 * 10 each delivery's row carries the event's data again) is compressed on every insert. With a
 * 3 kB request body the feed's writes per event took 20–26 % less time with lz4 than with pglz, for
 * ~10 % more WAL (`npm run bench -- feed-writes` with BENCH_FEED_PAYLOAD_BYTES=3000; bench/README.md,
 * session 11), and lz4 decompresses faster for the API's reads. Rows under ~2 kB are not
 * compressed either way (the pipeline bench's are not).
 *
 * Applies to values written from now on (stored ones stay as they are and stay readable). The feed's
 * existing daily partitions are changed one by one (ALTER on a partitioned table does not recurse
 * there); partitions created later inherit it from `feed_events`. A server built without lz4 (every
 * PostgreSQL ≥ 14 of Debian, PGDG and the official images has it) keeps pglz: the migration notes it
 * and goes on.
 */
export const LZ4_COLUMNS: Record<string, string[]> = {
  feed_events: ['summary', 'raw', 'canonical', 'enrichment', 'reasons', 'duplicate'],
  deliveries: ['request'],
  delivery_attempts: ['response_headers', 'response_body'],
};

export class Lz4Compression1764800000000 implements MigrationInterface {
  name = 'Lz4Compression1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(payloadCompressionSql('lz4'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(payloadCompressionSql('default'));
  }
}

/**
 * One DO block: each table (and each existing partition of it), each of its listed columns. Also
 * used by the pipeline bench to measure against pglz (BENCH_PG_COMPRESSION).
 */
export function payloadCompressionSql(method: 'lz4' | 'pglz' | 'default'): string {
  const pairs = Object.entries(LZ4_COLUMNS).flatMap(([t, cols]) => cols.map((c) => `('${t}', '${c}')`));
  return `
    DO $$
    DECLARE r record;
    BEGIN
      FOR r IN
        SELECT c.relname AS rel, v.col
          FROM (VALUES ${pairs.join(', ')}) AS v(tab, col)
          JOIN pg_class p ON p.relname = v.tab AND p.relnamespace = current_schema()::regnamespace
          JOIN LATERAL (SELECT p.oid UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = p.oid) AS o(oid) ON true
          JOIN pg_class c ON c.oid = o.oid
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = v.col AND NOT a.attisdropped
      LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET COMPRESSION ${method}', r.rel, r.col);
      END LOOP;
    EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
      RAISE NOTICE 'lz4 compression is not available on this PostgreSQL server (%): the payload columns keep pglz', SQLERRM;
    END $$`;
}
