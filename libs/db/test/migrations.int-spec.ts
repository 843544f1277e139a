// The testing lib builds on this lib; only this test crosses that line, the lib's sources never do
// (as in libs/kafka/test).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { dropDatabase, testDatabaseUrl } from '@hookstream/testing';
import { randomBytes } from 'node:crypto';
import { createDataSource, migrateWithLock, MIGRATIONS, type DataSource } from '../src';

/**
 * Replicas start at once: every one calls migrateWithLock on boot. On a database nobody migrated
 * yet, exactly one must apply each migration and the others must wait and then find nothing to do.
 */
describe('migrateWithLock on a fresh database', () => {
  const dbName = `hookstream_mig_${randomBytes(6).toString('hex')}`;
  const serverUrl = testDatabaseUrl();
  const freshUrl = (() => {
    const u = new URL(serverUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const sources: DataSource[] = [];
  let admin: DataSource;

  beforeAll(async () => {
    // The hookstream role has CREATEDB; any database of the server can issue CREATE DATABASE.
    admin = createDataSource({ url: serverUrl, poolSize: 1, applicationName: 'mig-test-admin' });
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${dbName}`);
  });

  afterAll(async () => {
    await Promise.all(sources.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
    await dropDatabase(serverUrl, dbName);
    const left: unknown[] = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    await admin.destroy();
    expect(left).toHaveLength(0);
  });

  it('4 replicas migrating concurrently: all resolve, each migration applied exactly once, tables exist', async () => {
    for (let i = 0; i < 4; i++) sources.push(createDataSource({ url: freshUrl, poolSize: 3, applicationName: `mig-test-${i}` }));
    await Promise.all(sources.map((ds) => ds.initialize()));

    const applied = await Promise.all(sources.map((ds) => migrateWithLock(ds)));

    const names = MIGRATIONS.map((M) => new M().name ?? M.name);
    // Between them the replicas applied every migration once; whoever came later found nothing to do.
    expect(applied.flat().sort()).toEqual([...names].sort());
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);

    const q = sources[0];
    const rows: { name: string; n: string }[] = await q.query('SELECT name, count(*) AS n FROM hookstream_migrations GROUP BY name ORDER BY name');
    expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);

    const tables: { table_name: string }[] = await q.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const have = new Set(tables.map((t) => t.table_name));
    for (const t of [
      'accounts', 'api_keys', 'sources', 'source_tokens', 'endpoints', 'endpoint_secrets', 'automations', 'dedupe_keys', 'deliveries',
      'delivery_attempts', 'contacts', 'name_history',
    ]) {
      expect(have).toContain(t);
    }

    // A replica restarting later: nothing pending, nothing applied.
    await expect(migrateWithLock(sources[3])).resolves.toEqual([]);
    // The lock was released by every replica (else the next boot would hang).
    const locks: unknown[] = await q.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`, [dbName]);
    expect(locks).toHaveLength(0);
  });
});
