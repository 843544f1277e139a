import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters as control-api records them from the `*.dlq` topics, with what was done about each
 * (replayed to the original topic for its consumer group, or discarded: by whom, when, why). The
 * primary key is the dead letter's own position, so recording is idempotent and a message can be
 * handled once: a replay or discard claims the row (`state = 'pending'` → other) in one UPDATE.
 * Also an `admin` API key scope, which DLQ operations require.
 */
export class DlqMessages1764570000000 implements MigrationInterface {
  name = 'DlqMessages1764570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS dlq_messages (
        id text NOT NULL UNIQUE,
        dlq_topic text NOT NULL, dlq_partition integer NOT NULL, dlq_offset bigint NOT NULL,
        source_topic text NOT NULL, consumer_group text, error text, attempts integer, failed_at timestamptz,
        account_id text, message_key text, value bytea, headers jsonb NOT NULL DEFAULT '{}',
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'replayed', 'discarded')),
        handled_at timestamptz, handled_by text, reason text, replayed_to text,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset));
      CREATE INDEX IF NOT EXISTS dlq_messages_account_idx ON dlq_messages (account_id, recorded_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS dlq_messages_pending_idx ON dlq_messages (source_topic, consumer_group) WHERE state = 'pending';
      ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_scope_check;
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write', 'admin'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS dlq_messages;
      ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_scope_check;
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write'))`);
  }
}
