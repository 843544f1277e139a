import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SQL of `dedupeKeyBytes` (apps/validator): the primary key of a dedupe key, from a source id
 * and a key text (two SQL expressions). 8 bytes of sha256(source id), then a tag byte: 1 + the first
 * 16 bytes of the digest for `sha256:<64 hex>`, 2 + the same for `win:<64 hex>`, 0 + the UTF-8 key
 * text for any other key (`idem:…`, `pid:…`), which so keeps its order.
 */
export function dedupeKeyBytesSql(sourceId: string, key: string): string {
  return `(substring(sha256(convert_to(${sourceId}, 'UTF8')) FROM 1 FOR 8) || CASE
      WHEN ${key} ~ '^sha256:[0-9a-f]{64}$' THEN '\\x01'::bytea || decode(substring(${key} FROM 8 FOR 32), 'hex')
      WHEN ${key} ~ '^win:[0-9a-f]{64}$' THEN '\\x02'::bytea || decode(substring(${key} FROM 5 FOR 32), 'hex')
      ELSE '\\x00'::bytea || convert_to(${key}, 'UTF8') END)`;
}

/**
 * `dedupe_keys` keyed by compact bytes instead of `(source_id, key)` text (`dedupeKeyBytesSql`).
 * Content and window keys are SHA-256 digests written as `sha256:`/`win:` and 64 hex digits, so
 * every claim of one lands on a random page of the primary key, and at 4 days of a source sending
 * 1k events/s the table holds ~345M keys. Their index entries shrink from the source id and 71
 * characters to 25 bytes: at 10M keys the primary key takes 617 MB instead of 1,674 and the table
 * with its indexes 1.9 GB instead of 3.3 (bench/README.md, scale, session 22), so it stays in
 * memory 2.7 times longer. Other keys (`idem:`, `pid:`: often numbered in order by the sender)
 * keep their text after the source's 8 bytes, so new ones still land side by side (a uniform
 * hash of every key, tried first, cost those keys 3–5 times the WAL).
 * The source id stays in the row (not in the index); the key text of a digest key is not kept: the
 * validator has it when it claims, and a duplicate's record on events.duplicate names it.
 *
 * Keys still live are copied; expired ones are not (a claim would take them over anyway). The copy
 * takes a while on a large table: stop the validators of the previous version first (events wait
 * in Kafka). One still running claims keys in the old table until the copy ends, so those are not
 * carried over, then fails its claims and retries its batches (nothing is committed, nothing is
 * lost) until it is replaced. `down` cannot turn digests back into
 * keys: it leaves an empty table of the old shape, so an event repeated within
 * DEDUPE_RETENTION_DAYS of a downgrade is not caught as a duplicate.
 */
export class DedupeKeyBytes1765000000000 implements MigrationInterface {
  name = 'DedupeKeyBytes1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dedupe_keys_compact (
        key_bytes bytea PRIMARY KEY, source_id text NOT NULL, event_id text NOT NULL, duplicate_count integer NOT NULL DEFAULT 0,
        first_seen_at timestamptz NOT NULL, expires_at timestamptz NOT NULL);
      INSERT INTO dedupe_keys_compact (key_bytes, source_id, event_id, duplicate_count, first_seen_at, expires_at)
        SELECT ${dedupeKeyBytesSql('source_id', 'key')}, source_id, event_id, duplicate_count, first_seen_at, expires_at
          FROM dedupe_keys WHERE expires_at >= now()
        ON CONFLICT (key_bytes) DO NOTHING;
      DROP TABLE dedupe_keys;
      ALTER TABLE dedupe_keys_compact RENAME TO dedupe_keys;
      ALTER INDEX dedupe_keys_compact_pkey RENAME TO dedupe_keys_pkey;
      CREATE INDEX dedupe_keys_expires_idx ON dedupe_keys(expires_at);`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE dedupe_keys;
      CREATE TABLE dedupe_keys (
        source_id text NOT NULL, key text NOT NULL, event_id text NOT NULL, duplicate_count integer NOT NULL DEFAULT 0,
        first_seen_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (source_id, key));
      CREATE INDEX dedupe_keys_expires_idx ON dedupe_keys(expires_at);`);
  }
}
