import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Contacts (owned by automation) and the learned-names table (owned by the enricher). */
export class ContactsNames1764100000000 implements MigrationInterface {
  name = 'ContactsNames1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contacts (
        id text PRIMARY KEY, account_id text NOT NULL, email_norm text NOT NULL, first_name text, last_name text,
        tags text[] NOT NULL DEFAULT '{}', lists text[] NOT NULL DEFAULT '{}', fields jsonb NOT NULL DEFAULT '{}',
        created_from_event_id text NOT NULL, last_event_id text, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(), UNIQUE (account_id, email_norm));
      CREATE TABLE name_history (
        account_id text NOT NULL, email_key text NOT NULL, first_name text, last_name text,
        updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (account_id, email_key));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS name_history, contacts');
  }
}
