import { Inject, Injectable, Optional } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, preparedStatement } from '@hookstream/db';
import type { KnownName, LearnedName } from '@hookstream/enrichment';
import { APP_CONFIG } from '@hookstream/platform';
import type { EnricherConfig } from '../enricher.config';

type NameKey = { accountId: string; emailKey: string };
type NameWrite = { accountId: string; name: LearnedName };

/** Keys (or rows) of one statement at most; more are cut into several statements. */
const MAX_STATEMENT_ROWS = 5000;

/**
 * The remembered names of ($1 account ids, $2 email keys), pairwise: one primary-key lookup per
 * key, whatever the table's statistics say (the LIMIT keeps the planner from turning it into a
 * join, which it ran as a sequential scan of the table that grew since it was last analyzed).
 */
export const LOAD_NAMES_SQL = preparedStatement(`SELECT n.account_id, n.email_key, n.first_name, n.last_name FROM unnest($1::text[], $2::text[]) AS k(account_id, email_key)
  CROSS JOIN LATERAL (SELECT * FROM name_history n WHERE n.account_id = k.account_id AND n.email_key = k.email_key LIMIT 1) n`);

/** Upsert of learned names (`saveNow`): $1 the rows as a JSON array. */
const SAVE_NAMES_SQL = preparedStatement(
  `INSERT INTO name_history (account_id, email_key, first_name, last_name, updated_at)
       SELECT x.account_id, x.email_key, x.first_name, x.last_name, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(account_id text, email_key text, first_name text, last_name text)
       ON CONFLICT (account_id, email_key) DO UPDATE SET first_name = EXCLUDED.first_name,
         last_name = EXCLUDED.last_name, updated_at = now()`);

/**
 * name_history (owned by the enricher): names learned per (account, keyed email hash).
 *
 * The partitions of one fetch are handled side by side, each batch with its own read and write.
 * With ENRICHER_COALESCE_STATEMENTS=true (off by default), the reads (and the writes) that those batches
 * ask for in the same event-loop turn go to PostgreSQL as one statement (DataLoader), and each
 * batch gets its own rows back: at low load a fetch holds 2–6 batches of 1–2 events, so this cuts
 * the statements per event by as much, and the batches of a fetch move on together (their sends
 * and commits then share one request too). A failed statement fails every batch in it; each is
 * retried as before.
 */
@Injectable()
export class NamesRepository {
  private readonly coalesce: boolean;
  private readonly loader = new DataLoader<NameKey, KnownName | null>(
    async (keys) => {
      const found = await this.loadNow(keys);
      return keys.map((k) => found.get(`${k.accountId}\u0000${k.emailKey}`) ?? null);
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: MAX_STATEMENT_ROWS },
  );
  private readonly saver = new DataLoader<NameWrite, true>(
    async (writes) => {
      await this.saveNow(writes);
      return writes.map(() => true as const);
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: MAX_STATEMENT_ROWS },
  );

  constructor(@Inject(DataSource) private readonly ds: DataSource, @Optional() @Inject(APP_CONFIG) config?: EnricherConfig) {
    this.coalesce = config?.ENRICHER_COALESCE_STATEMENTS === 'true';
  }

  /** The remembered names of `keys`, by `accountId\u0000emailKey`. */
  async load(keys: NameKey[]): Promise<Map<string, KnownName>> {
    if (!this.coalesce || keys.length === 0) return this.loadNow(keys);
    const names = await Promise.all(keys.map((k) => this.loader.load(k)));
    const out = new Map<string, KnownName>();
    keys.forEach((k, i) => {
      const n = names[i];
      if (n) out.set(`${k.accountId}\u0000${k.emailKey}`, n);
    });
    return out;
  }

  /** Upserts learned names (see `saveNow`); resolves once the statement that carried them committed. */
  async save(learned: NameWrite[]): Promise<void> {
    if (!this.coalesce || learned.length === 0) return this.saveNow(learned);
    await Promise.all(learned.map((l) => this.saver.load(l)));
  }

  private async loadNow(keys: readonly NameKey[]): Promise<Map<string, KnownName>> {
    const out = new Map<string, KnownName>();
    if (keys.length === 0) return out;
    const rows: { account_id: string; email_key: string; first_name: string | null; last_name: string | null }[] = await this.ds.query(
      LOAD_NAMES_SQL,
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
   * batch's in-memory history used. The last write of a key wins (one INSERT … ON CONFLICT may
   * not touch a row twice).
   */
  private async saveNow(learned: readonly NameWrite[]): Promise<void> {
    if (learned.length === 0) return;
    const latest = new Map<string, NameWrite>();
    for (const l of learned) latest.set(`${l.accountId}\u0000${l.name.emailKey}`, l);
    const rows = [...latest.values()].map((l) => ({ account_id: l.accountId, email_key: l.name.emailKey, first_name: l.name.firstName, last_name: l.name.lastName }));
    await this.ds.query(
      SAVE_NAMES_SQL,
      [JSON.stringify(rows)],
    );
  }
}
