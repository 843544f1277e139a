import { loadConfig } from '@hookstream/config';
import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { countStatements, testDatabaseUrl, uniqueName, type StatementCounter } from '@hookstream/testing';
import { NamesRepository } from '../src/enrichment/names.repository';
import { EnricherConfig } from '../src/enricher.config';

/**
 * Batches of several partitions handled side by side share one name_history statement per
 * event-loop turn (ENRICHER_COALESCE_STATEMENTS). On the real database: each batch still gets
 * exactly its own names back.
 */
describe('name_history statements shared by concurrent batches (real PostgreSQL)', () => {
  let ds: DataSource;
  let statements: StatementCounter;
  const acc = uniqueName('acc_names').replace(/-/g, '_');
  const config = (coalesce: 'true' | 'false') => loadConfig(EnricherConfig, {
    KAFKA_BROKERS: '127.0.0.1:1', DATABASE_URL: testDatabaseUrl(), HOOKSTREAM_DEV_INSECURE_KEYS: 'true', ENRICHER_COALESCE_STATEMENTS: coalesce,
  });
  const learned = (emailKey: string, firstName: string, lastName: string | null = null) => ({ accountId: acc, name: { emailKey, firstName, lastName } });

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 4, applicationName: 'names-coalesce-test', preparedStatements: true });
    await ds.initialize();
    await migrateWithLock(ds);
    statements = countStatements(ds);
  });
  afterAll(async () => {
    await ds.query('DELETE FROM name_history WHERE account_id = $1', [acc]);
    await ds.destroy();
  });

  it('writes, then reads, of batches started in one turn go as one statement each, with per-batch results', async () => {
    const repo = new NamesRepository(ds, config('true'));
    statements.reset();
    // Two batches learn names in the same turn; one key is learned by both (the later write wins).
    await Promise.all([repo.save([learned('k1', 'Ann', 'Lee'), learned('k2', 'Bob')]), repo.save([learned('k2', 'Bobby', 'Ray')])]);
    expect(statements.count).toBe(1);
    expect(await ds.query('SELECT email_key, first_name, last_name FROM name_history WHERE account_id = $1 ORDER BY email_key', [acc])).toEqual([
      { email_key: 'k1', first_name: 'Ann', last_name: 'Lee' },
      { email_key: 'k2', first_name: 'Bobby', last_name: 'Ray' },
    ]);

    statements.reset();
    const [a, b] = await Promise.all([
      repo.load([{ accountId: acc, emailKey: 'k1' }]),
      repo.load([{ accountId: acc, emailKey: 'k2' }, { accountId: acc, emailKey: 'unknown' }]),
    ]);
    expect(statements.count).toBe(1);
    expect([...a.entries()]).toEqual([[`${acc}\u0000k1`, { firstName: 'Ann', lastName: 'Lee' }]]);
    expect([...b.entries()]).toEqual([[`${acc}\u0000k2`, { firstName: 'Bobby', lastName: 'Ray' }]]);
  });

  it('with ENRICHER_COALESCE_STATEMENTS=false each batch sends its own statement', async () => {
    const repo = new NamesRepository(ds, config('false'));
    statements.reset();
    await Promise.all([repo.load([{ accountId: acc, emailKey: 'k1' }]), repo.load([{ accountId: acc, emailKey: 'k2' }])]);
    expect(statements.count).toBe(2);
  });
});
