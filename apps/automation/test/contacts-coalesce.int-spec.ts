import { loadConfig } from '@hookstream/config';
import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { contactIdFor, type Contact } from '@hookstream/rules';
import { countStatements, testDatabaseUrl, uniqueName, type StatementCounter } from '@hookstream/testing';
import { contactKey, ContactsRepository } from '../src/automation/contacts.repository';
import { AutomationConfig } from '../src/automation.config';

/**
 * Batches of several partitions handled side by side share one contacts statement per event-loop
 * turn (AUTOMATION_COALESCE_STATEMENTS). On the real database: each batch still gets exactly its
 * own rows and its own compare-and-set verdicts.
 */
describe('contacts statements shared by concurrent batches (real PostgreSQL)', () => {
  let ds: DataSource;
  let statements: StatementCounter;
  const acc = uniqueName('acc_coalesce').replace(/-/g, '_');
  const contact = (email: string, firstName: string): Contact => ({
    id: contactIdFor(acc, email), accountId: acc, emailNorm: email, firstName, lastName: null, tags: [], lists: [], fields: {}, createdFromEventId: 'evt_1',
  });
  const config = (coalesce: 'true' | 'false') => loadConfig(AutomationConfig, {
    KAFKA_BROKERS: '127.0.0.1:1', DATABASE_URL: testDatabaseUrl(), HOOKSTREAM_DEV_INSECURE_KEYS: 'true', AUTOMATION_COALESCE_STATEMENTS: coalesce,
  });

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 4, applicationName: 'contacts-coalesce-test', preparedStatements: true });
    await ds.initialize();
    await migrateWithLock(ds);
    statements = countStatements(ds);
  });
  afterAll(async () => {
    await ds.query('DELETE FROM contacts WHERE account_id = $1', [acc]);
    await ds.destroy();
  });

  it('reads and writes of batches started in one turn go as one statement each, with per-batch results', async () => {
    const repo = new ContactsRepository(ds, config('true'));
    const ann = contact('ann@example.com', 'Ann');
    const bob = contact('bob@example.com', 'Bob');
    expect(await repo.save([{ contact: ann, expectedVersion: null }])).toEqual([]);

    statements.reset();
    const [a, b] = await Promise.all([
      repo.load([{ accountId: acc, emailNorm: 'ann@example.com' }]),
      repo.load([{ accountId: acc, emailNorm: 'bob@example.com' }, { accountId: acc, emailNorm: 'nobody@example.com' }]),
    ]);
    expect(statements.count).toBe(1);
    expect([...a.contacts.keys()]).toEqual([contactKey(acc, 'ann@example.com')]);
    expect(a.versions.get(contactKey(acc, 'ann@example.com'))).toBe(1);
    expect(b.contacts.size).toBe(0);

    // Batch 1 creates Bob; batch 2 writes Ann from a stale version: only batch 2 lost.
    statements.reset();
    const [lost1, lost2] = await Promise.all([
      repo.save([{ contact: bob, expectedVersion: null }]),
      repo.save([{ contact: { ...ann, firstName: 'Stale' }, expectedVersion: 7 }]),
    ]);
    expect(statements.count).toBe(1);
    expect(lost1).toEqual([]);
    expect(lost2).toEqual([ann.id]);
    const rows = (await ds.query('SELECT email_norm, first_name, version FROM contacts WHERE account_id = $1 ORDER BY email_norm', [acc])) as unknown[];
    expect(rows).toEqual([{ email_norm: 'ann@example.com', first_name: 'Ann', version: '1' }, { email_norm: 'bob@example.com', first_name: 'Bob', version: '1' }]);
  });

  it('a contact written twice in one turn goes in two statements: the second is compared with what the first left', async () => {
    const repo = new ContactsRepository(ds, config('true'));
    const cy = contact('cy@example.com', 'Cy');
    statements.reset();
    const [first, second] = await Promise.all([
      repo.save([{ contact: cy, expectedVersion: null }]),
      repo.save([{ contact: { ...cy, firstName: 'Other' }, expectedVersion: null }]),
    ]);
    expect(statements.count).toBe(2);
    expect(first).toEqual([]);
    expect(second).toEqual([cy.id]);
    expect(await ds.query('SELECT first_name FROM contacts WHERE id = $1', [cy.id])).toEqual([{ first_name: 'Cy' }]);
  });

  it("with AUTOMATION_COALESCE_STATEMENTS=false each batch sends its own statement", async () => {
    const repo = new ContactsRepository(ds, config('false'));
    statements.reset();
    await Promise.all([repo.load([{ accountId: acc, emailNorm: 'ann@example.com' }]), repo.load([{ accountId: acc, emailNorm: 'bob@example.com' }])]);
    expect(statements.count).toBe(2);
  });
});
