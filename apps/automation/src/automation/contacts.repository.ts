import { Inject, Injectable, Optional } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, preparedStatement } from '@hookstream/db';
import { APP_CONFIG } from '@hookstream/platform';
import type { Contact } from '@hookstream/rules';
import type { AutomationConfig } from '../automation.config';

/** Keys (or rows) of one statement at most; more are cut into several statements. */
const MAX_STATEMENT_ROWS = 5000;

type ContactRef = { accountId: string; emailNorm: string };

interface ContactRow {
  id: string;
  account_id: string;
  email_norm: string;
  first_name: string | null;
  last_name: string | null;
  tags: string[];
  lists: string[];
  fields: Record<string, string>;
  created_from_event_id: string;
  version: string;
}

/**
 * The contacts of ($1 account ids, $2 normalised emails), pairwise: one unique-index lookup per
 * key, whatever the table's statistics say. The LIMIT keeps the planner from flattening the
 * lateral subquery into a join, which, on a table that grew since it was last analyzed (a new
 * install's first burst), it ran as a sequential scan of the whole table per batch (120 keys in
 * 30,000 rows: 5.6 ms against 0.26 ms; bench/README.md, session 10).
 */
export const LOAD_CONTACTS_SQL = preparedStatement(`SELECT c.id, c.account_id, c.email_norm, c.first_name, c.last_name, c.tags, c.lists, c.fields, c.created_from_event_id, c.version
  FROM unnest($1::text[], $2::text[]) AS k(account_id, email_norm)
  CROSS JOIN LATERAL (SELECT * FROM contacts c WHERE c.account_id = k.account_id AND c.email_norm = k.email_norm LIMIT 1) c`);

/** Compare-and-set of a batch of contacts (`saveNow`): $1 the rows as a JSON array. */
const SAVE_CONTACTS_SQL = preparedStatement(
  `WITH x AS (
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, account_id text, email_norm text, first_name text,
       last_name text, tags text[], lists text[], fields jsonb, created_from_event_id text, expected_version bigint)),
   ins AS (
     INSERT INTO contacts (id, account_id, email_norm, first_name, last_name, tags, lists, fields, created_from_event_id, version, updated_at)
     SELECT id, account_id, email_norm, first_name, last_name, tags, lists, fields, created_from_event_id, 1, now()
       FROM x WHERE expected_version IS NULL ORDER BY id
     ON CONFLICT DO NOTHING
     RETURNING id),
   upd AS (
     UPDATE contacts c SET first_name = x.first_name, last_name = x.last_name, tags = x.tags, lists = x.lists,
        fields = x.fields, version = c.version + 1, updated_at = now()
       FROM (SELECT * FROM x WHERE expected_version IS NOT NULL ORDER BY id) x
      WHERE c.id = x.id AND c.version = x.expected_version
     RETURNING c.id)
   SELECT id FROM ins UNION ALL SELECT id FROM upd`);

/** A contact's key in a batch: account and normalised email. */
export function contactKey(accountId: string, emailNorm: string): string {
  return `${accountId}\u0000${emailNorm}`;
}

/** Contacts as read, by `contactKey`, with the version each was read at. */
export interface LoadedContacts {
  contacts: Map<string, Contact>;
  versions: Map<string, number>;
}

/** A contact to write, and the version it was read at (null: it did not exist). */
export interface ContactWrite {
  contact: Contact;
  expectedVersion: number | null;
}

/**
 * The contacts table (owned by automation): read and written once per batch, versioned.
 *
 * The partitions of one fetch are handled side by side. With AUTOMATION_COALESCE_STATEMENTS=true
 * (off by default), the reads (and the compare-and-set writes) those batches ask for in the same
 * event-loop turn go to PostgreSQL as one statement (DataLoader) and each batch gets its own rows
 * and verdicts back. Two batches of this process never hold the same contact at once (the
 * service's per-contact lock), and a write whose contact appears twice in one turn goes in a later
 * statement, so one statement never writes a row twice. A failed statement fails every batch in it.
 */
@Injectable()
export class ContactsRepository {
  private readonly coalesce: boolean;
  private readonly loader = new DataLoader<ContactRef, { contact: Contact; version: number } | null>(
    async (keys) => {
      const found = await this.loadNow(keys);
      return keys.map((k) => {
        const key = contactKey(k.accountId, k.emailNorm);
        const contact = found.contacts.get(key);
        return contact ? { contact, version: found.versions.get(key) as number } : null;
      });
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: MAX_STATEMENT_ROWS },
  );
  private readonly saver = new DataLoader<ContactWrite, boolean>(
    async (writes) => {
      const saved = new Map<ContactWrite, boolean>();
      // Rounds in which each contact id appears once: a later write of the same contact is
      // compared against what the earlier one left.
      for (let rest = [...writes]; rest.length > 0;) {
        const ids = new Set<string>();
        const round: ContactWrite[] = [];
        const later: ContactWrite[] = [];
        for (const w of rest) {
          if (ids.has(w.contact.id)) later.push(w);
          else {
            ids.add(w.contact.id);
            round.push(w);
          }
        }
        const lost = new Set(await this.saveNow(round));
        for (const w of round) saved.set(w, !lost.has(w.contact.id));
        rest = later;
      }
      return writes.map((w) => saved.get(w) === true);
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: MAX_STATEMENT_ROWS },
  );

  constructor(@Inject(DataSource) private readonly ds: DataSource, @Optional() @Inject(APP_CONFIG) config?: AutomationConfig) {
    this.coalesce = config?.AUTOMATION_COALESCE_STATEMENTS === 'true';
  }

  async load(keys: ContactRef[]): Promise<LoadedContacts> {
    if (!this.coalesce || keys.length === 0) return this.loadNow(keys);
    const rows = await Promise.all(keys.map((k) => this.loader.load(k)));
    const out: LoadedContacts = { contacts: new Map(), versions: new Map() };
    keys.forEach((k, i) => {
      const row = rows[i];
      if (!row) return;
      const key = contactKey(k.accountId, k.emailNorm);
      out.contacts.set(key, row.contact);
      out.versions.set(key, row.version);
    });
    return out;
  }

  /**
   * Compare-and-set (see `saveNow`). Returns the ids of the contacts that lost the race; the
   * others are saved once this resolves.
   */
  async save(writes: ContactWrite[]): Promise<string[]> {
    if (!this.coalesce || writes.length === 0) return this.saveNow(writes);
    const saved = await Promise.all(writes.map((w) => this.saver.load(w)));
    return writes.filter((_, i) => !saved[i]).map((w) => w.contact.id);
  }

  private async loadNow(keys: readonly ContactRef[]): Promise<LoadedContacts> {
    const out: LoadedContacts = { contacts: new Map(), versions: new Map() };
    if (keys.length === 0) return out;
    const rows: ContactRow[] = await this.ds.query(
      LOAD_CONTACTS_SQL,
      [keys.map((k) => k.accountId), keys.map((k) => k.emailNorm)],
    );
    for (const r of rows) {
      const key = contactKey(r.account_id, r.email_norm);
      out.contacts.set(key, {
        id: r.id, accountId: r.account_id, emailNorm: r.email_norm, firstName: r.first_name, lastName: r.last_name,
        tags: r.tags, lists: r.lists, fields: r.fields, createdFromEventId: r.created_from_event_id,
      });
      out.versions.set(key, Number(r.version));
    }
    return out;
  }

  /**
   * Compare-and-set, one statement for the batch: a contact is inserted only if nobody created it
   * meanwhile, and updated only if its version is still the one read. Returns the ids of the
   * contacts that lost that race (written by another replica since `load`); the others are saved.
   */
  private async saveNow(writes: readonly ContactWrite[]): Promise<string[]> {
    if (writes.length === 0) return [];
    const rows: { id: string }[] = await this.ds.query(
      SAVE_CONTACTS_SQL,
      [JSON.stringify(writes.map(({ contact: c, expectedVersion }) => ({
        id: c.id, account_id: c.accountId, email_norm: c.emailNorm, first_name: c.firstName, last_name: c.lastName,
        tags: c.tags, lists: c.lists, fields: c.fields, created_from_event_id: c.createdFromEventId, expected_version: expectedVersion,
      })))],
    );
    const saved = new Set(rows.map((r) => r.id));
    return writes.filter((w) => !saved.has(w.contact.id)).map((w) => w.contact.id);
  }
}
