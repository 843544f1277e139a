import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events feed read model and endpoint health (both owned by control-api).
 *
 * `feed_events` is partitioned by day on `received_at` so retention is a DROP of whole
 * partitions, never a DELETE that bloats the table. The primary key must contain the partition
 * key, hence (received_at, id); every writer knows an event's received_at (it travels on every
 * topic), so upserts hit exactly one partition. control-api's FeedPartitionsService creates the
 * coming days' partitions and drops expired ones; the ones created here only cover the first
 * days after installation, and the writer creates a missing day on demand.
 */
export class FeedEvents1764300000000 implements MigrationInterface {
  name = 'FeedEvents1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE feed_events (
        id text NOT NULL, account_id text NOT NULL, source_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('received','accepted','rejected','duplicate')),
        type text, received_at timestamptz NOT NULL, occurred_at timestamptz, dialect text, email_hash text,
        summary jsonb NOT NULL DEFAULT '{}', raw jsonb, canonical jsonb, enrichment jsonb, reasons jsonb, duplicate jsonb,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (received_at, id)
      ) PARTITION BY RANGE (received_at);
      CREATE INDEX feed_events_account_id_idx ON feed_events (account_id, id);
      CREATE INDEX feed_events_account_time_idx ON feed_events (account_id, received_at DESC, id DESC);
      CREATE INDEX feed_events_account_email_idx ON feed_events (account_id, email_hash) WHERE email_hash IS NOT NULL;

      DO $$
      DECLARE d date;
      BEGIN
        FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 3, interval '1 day')::date LOOP
          EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF feed_events FOR VALUES FROM (%L) TO (%L)',
            'feed_events_p' || to_char(d, 'YYYYMMDD'), d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
        END LOOP;
      END $$;

      CREATE TABLE endpoint_health (
        endpoint_id text PRIMARY KEY, account_id text NOT NULL,
        failing_since timestamptz, last_success_at timestamptz, last_failure_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX endpoint_health_failing_idx ON endpoint_health (failing_since) WHERE failing_since IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS endpoint_health; DROP TABLE IF EXISTS feed_events CASCADE');
  }
}
