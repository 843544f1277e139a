import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import type { KnownName, LearnedName } from '@hookstream/enrichment';

/** name_history (owned by the enricher): names learned per (account, keyed email hash). */
@Injectable()
export class NamesRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async load(keys: { accountId: string; emailKey: string }[]): Promise<Map<string, KnownName>> {
    const out = new Map<string, KnownName>();
    if (keys.length === 0) return out;
    const rows: { account_id: string; email_key: string; first_name: string | null; last_name: string | null }[] = await this.ds.query(
      `SELECT n.account_id, n.email_key, n.first_name, n.last_name FROM name_history n
         JOIN unnest($1::text[], $2::text[]) AS k(account_id, email_key) ON n.account_id = k.account_id AND n.email_key = k.email_key`,
      [keys.map((k) => k.accountId), keys.map((k) => k.emailKey)],
    );
    for (const r of rows) out.set(`${r.account_id}\u0000${r.email_key}`, { firstName: r.first_name, lastName: r.last_name });
    return out;
  }

  /**
   * Idempotent upsert: a redelivered event writes the same row again. A learned name replaces the
   * row whole: the enrichment lib already carries a compatible remembered last name forward, so a
   * null last name here means "unknown for this first name", and keeping the old one would invent
   * a person ("Samuel Lee" then "Sam" must not become "Sam Lee") — and disagree with what the
   * batch's in-memory history used.
   */
  async save(learned: { accountId: string; name: LearnedName }[]): Promise<void> {
    if (learned.length === 0) return;
    const latest = new Map<string, { accountId: string; name: LearnedName }>();
    for (const l of learned) latest.set(`${l.accountId}\u0000${l.name.emailKey}`, l);
    const rows = [...latest.values()].map((l) => ({ account_id: l.accountId, email_key: l.name.emailKey, first_name: l.name.firstName, last_name: l.name.lastName }));
    await this.ds.query(
      `INSERT INTO name_history (account_id, email_key, first_name, last_name, updated_at)
       SELECT x.account_id, x.email_key, x.first_name, x.last_name, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(account_id text, email_key text, first_name text, last_name text)
       ON CONFLICT (account_id, email_key) DO UPDATE SET first_name = EXCLUDED.first_name,
         last_name = EXCLUDED.last_name, updated_at = now()`,
      [JSON.stringify(rows)],
    );
  }
}
