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
}

/** The contacts table (owned by automation): read and written once per batch. */
@Injectable()
export class ContactsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async load(keys: { accountId: string; emailNorm: string }[]): Promise<Map<string, Contact>> {
    const out = new Map<string, Contact>();
    if (keys.length === 0) return out;
    const rows: ContactRow[] = await this.ds.query(
      `SELECT c.* FROM contacts c JOIN unnest($1::text[], $2::text[]) AS k(account_id, email_norm)
         ON c.account_id = k.account_id AND c.email_norm = k.email_norm`,
      [keys.map((k) => k.accountId), keys.map((k) => k.emailNorm)],
    );
    for (const r of rows) {
      out.set(`${r.account_id}\u0000${r.email_norm}`, {
        id: r.id, accountId: r.account_id, emailNorm: r.email_norm, firstName: r.first_name, lastName: r.last_name,
        tags: r.tags, lists: r.lists, fields: r.fields, createdFromEventId: r.created_from_event_id,
      });
    }
    return out;
  }

  async save(contacts: Contact[]): Promise<void> {
    if (contacts.length === 0) return;
    await this.ds.query(
      `INSERT INTO contacts (id, account_id, email_norm, first_name, last_name, tags, lists, fields, created_from_event_id, updated_at)
       SELECT * , now() FROM jsonb_to_recordset($1::jsonb) AS x(id text, account_id text, email_norm text, first_name text,
         last_name text, tags text[], lists text[], fields jsonb, created_from_event_id text)
       ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, tags = EXCLUDED.tags,
         lists = EXCLUDED.lists, fields = EXCLUDED.fields, updated_at = now()`,
      [JSON.stringify(contacts.map((c) => ({
        id: c.id, account_id: c.accountId, email_norm: c.emailNorm, first_name: c.firstName, last_name: c.lastName,
        tags: c.tags, lists: c.lists, fields: c.fields, created_from_event_id: c.createdFromEventId,
      })))],
    );
  }
}
