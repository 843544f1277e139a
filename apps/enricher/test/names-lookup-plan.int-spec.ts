import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { planOnFreshCopy, testDatabaseUrl } from '@hookstream/testing';
import { LOAD_NAMES_SQL } from '../src/enrichment/names.repository';

/** Remembered names are read with one primary-key lookup per key even when name_history grew since it was last analyzed. */
describe('name_history lookup plan (real PostgreSQL)', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 2, applicationName: 'names-plan-test' });
    await ds.initialize();
    await migrateWithLock(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('uses the primary key on a table without statistics', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `absent-${i}`);
    const { nodes } = await planOnFreshCopy(ds, {
      table: 'name_history',
      fill: `INSERT INTO name_history (account_id, email_key, first_name) SELECT 'acc_plan', 'k' || g, 'Ann' FROM generate_series(1, 30000) g`,
      sql: LOAD_NAMES_SQL,
      params: [keys.map(() => 'acc_plan'), keys],
    });
    expect(nodes.filter((n) => n.endsWith('on name_history'))).toEqual([expect.stringMatching(/^Index Scan using name_history_pkey on name_history$/)]);
  });
});
