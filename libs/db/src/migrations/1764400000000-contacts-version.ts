import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per contact, for compare-and-set writes: automation replicas may work on the same
 * contact at once (its enriched events and its contact events are different topic-partitions,
 * owned by whichever replica the group assigned them to), and a blind upsert lost one of the
 * two changes.
 */
export class ContactsVersion1764400000000 implements MigrationInterface {
  name = 'ContactsVersion1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE contacts DROP COLUMN IF EXISTS version');
  }
}
