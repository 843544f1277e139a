import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import type { Contact } from '@hookstream/rules';

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

/** The contacts table (owned by automation): read and written once per batch, versioned. */
@Injectable()
export class ContactsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async load(keys: { accountId: string; emailNorm: string }[]): Promise<LoadedContacts> {
    const out: LoadedContacts = { contacts: new Map(), versions: new Map() };
    if (keys.length === 0) return out;
    const rows: ContactRow[] = await this.ds.query(
      `SELECT c.* FROM contacts c JOIN unnest($1::text[], $2::text[]) AS k(account_id, email_norm)
         ON c.account_id = k.account_id AND c.email_norm = k.email_norm`,
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
  async save(writes: ContactWrite[]): Promise<string[]> {
    if (writes.length === 0) return [];
    const rows: { id: string }[] = await this.ds.query(
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
       SELECT id FROM ins UNION ALL SELECT id FROM upd`,
      [JSON.stringify(writes.map(({ contact: c, expectedVersion }) => ({
        id: c.id, account_id: c.accountId, email_norm: c.emailNorm, first_name: c.firstName, last_name: c.lastName,
        tags: c.tags, lists: c.lists, fields: c.fields, created_from_event_id: c.createdFromEventId, expected_version: expectedVersion,
      })))],
    );
    const saved = new Set(rows.map((r) => r.id));
    return writes.filter((w) => !saved.has(w.contact.id)).map((w) => w.contact.id);
  }
}
