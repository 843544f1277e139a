import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { planOnFreshCopy, testDatabaseUrl } from '@hookstream/testing';
import { LOAD_CONTACTS_SQL } from '../src/automation/contacts.repository';

/**
 * The batch's contacts are read with one unique-index lookup per key even when the table grew
 * since it was last analyzed. The join it replaced was planned as a sequential scan of the whole
 * table per batch in that state (every new install's first burst), a cost that grew with the table.
 */
describe('contacts lookup plan (real PostgreSQL)', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 2, applicationName: 'contacts-plan-test' });
    await ds.initialize();
    await migrateWithLock(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const fill = `INSERT INTO contacts (id, account_id, email_norm, created_from_event_id)
    SELECT 'ct_' || g, 'acc_plan', 'p' || g || '@example.com', 'evt_' || g FROM generate_series(1, 30000) g`;
  const keys = Array.from({ length: 120 }, (_, i) => `absent-${i}@example.com`);

  it('uses the (account_id, email_norm) index on a table without statistics', async () => {
    const { nodes } = await planOnFreshCopy(ds, { table: 'contacts', fill, sql: LOAD_CONTACTS_SQL, params: [keys.map(() => 'acc_plan'), keys] });
    expect(nodes.filter((n) => n.endsWith('on contacts'))).toEqual([expect.stringMatching(/^Index Scan using \S+ on contacts$/)]);
  });

  it('the join it replaced scans the whole table in that state (what this guards against)', async () => {
    const join = `SELECT c.* FROM contacts c JOIN unnest($1::text[], $2::text[]) AS k(account_id, email_norm)
      ON c.account_id = k.account_id AND c.email_norm = k.email_norm`;
    const { nodes } = await planOnFreshCopy(ds, { table: 'contacts', fill, sql: join, params: [keys.map(() => 'acc_plan'), keys] });
    expect(nodes).toContain('Seq Scan on contacts');
  });
});
