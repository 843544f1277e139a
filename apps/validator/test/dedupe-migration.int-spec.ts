import { createDataSource, MIGRATIONS, type DataSource } from '@hookstream/db';
import type { QueryRunner } from 'typeorm';
import { createDatabase, dropDatabase, testDatabaseUrl } from '@hookstream/testing';
import { randomBytes } from 'node:crypto';
import { DedupeRepository } from '../src/validation/dedupe.repository';

/**
 * Migration 1765000000000 on a database of the previous version: live keys keep their owner and
 * count under their new byte key, expired ones are left behind, and the validator's claims find them.
 */
describe('dedupe_keys moved to compact byte keys (migration 1765000000000, real PostgreSQL)', () => {
  const dbName = `hookstream_dedupe_mig_${randomBytes(6).toString('hex')}`;
  const serverUrl = testDatabaseUrl();
  let ds: DataSource;

  beforeAll(async () => {
    ds = createDataSource({ url: await createDatabase(serverUrl, dbName), poolSize: 2, applicationName: 'dedupe-mig-test' });
    await ds.initialize();
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await dropDatabase(serverUrl, dbName);
  });

  /** Runs migration steps on one connection, as TypeORM does. */
  async function migrate(step: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = ds.createQueryRunner();
    try {
      await step(runner);
    } finally {
      await runner.release();
    }
  }

  it('keeps live keys with their owner and count, drops expired ones, and claims find the moved keys', async () => {
    const last = MIGRATIONS[MIGRATIONS.length - 1];
    expect(new last().name).toBe('DedupeKeyBytes1765000000000');
    await migrate(async (runner) => {
      for (const M of MIGRATIONS.slice(0, -1)) await new M().up(runner);
    });
    // Rows as the previous version wrote them, keyed by (source_id, key) text.
    await ds.query(
      `INSERT INTO dedupe_keys (source_id, key, event_id, duplicate_count, first_seen_at, expires_at) VALUES
         ('src_a', 'idem:order-1', 'evt_1', 2, now() - interval '1 day', now() + interval '3 days'),
         ('src_a', 'sha256:${'cd'.repeat(32)}', 'evt_2', 0, now() - interval '1 day', now() + interval '3 days'),
         ('src_b', 'idem:order-1', 'evt_3', 0, now() - interval '1 day', now() + interval '3 days'),
         ('src_a', 'idem:größe-ü', 'evt_4', 0, now() - interval '1 day', now() + interval '3 days'),
         ('src_b', 'win:${'0f'.repeat(32)}', 'evt_6', 0, now() - interval '1 day', now() + interval '3 days'),
         ('src_a', 'idem:old', 'evt_5', 7, now() - interval '5 days', now() - interval '1 day')`,
    );
    await migrate((runner) => new last().up(runner));

    const columns: { column_name: string }[] = await ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'dedupe_keys' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['key_bytes', 'source_id', 'event_id', 'duplicate_count', 'first_seen_at', 'expires_at']);
    const [{ n }]: { n: number }[] = await ds.query('SELECT count(*)::int AS n FROM dedupe_keys');
    expect(n).toBe(5);

    // The same keys claimed by new events: the moved rows answer, with their owners; the expired
    // key was not moved, so it goes to the new event.
    const repo = new DedupeRepository(ds);
    const keys = [
      { sourceId: 'src_a', key: 'idem:order-1', eventId: 'evt_new_1' },
      { sourceId: 'src_a', key: `sha256:${'cd'.repeat(32)}`, eventId: 'evt_new_2' },
      { sourceId: 'src_b', key: 'idem:order-1', eventId: 'evt_new_3' },
      { sourceId: 'src_a', key: 'idem:größe-ü', eventId: 'evt_new_4' },
      { sourceId: 'src_a', key: 'idem:old', eventId: 'evt_new_5' },
      { sourceId: 'src_b', key: `win:${'0f'.repeat(32)}`, eventId: 'evt_new_6' },
    ];
    const r = await repo.claim(keys, 4);
    expect(keys.map((c) => r.owners.get(`${c.sourceId}\u0000${c.key}`))).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_new_5', 'evt_6']);
    expect([...r.claimed]).toEqual(['src_a\u0000idem:old']);
    const counts: { event_id: string; duplicate_count: number }[] = await ds.query('SELECT event_id, duplicate_count FROM dedupe_keys ORDER BY event_id');
    expect(counts).toEqual([
      { event_id: 'evt_1', duplicate_count: 3 }, { event_id: 'evt_2', duplicate_count: 1 }, { event_id: 'evt_3', duplicate_count: 1 },
      { event_id: 'evt_4', duplicate_count: 1 }, { event_id: 'evt_6', duplicate_count: 1 }, { event_id: 'evt_new_5', duplicate_count: 0 },
    ]);

    // down: the table of before, empty (hashes cannot be turned back into keys).
    await migrate((runner) => new last().down(runner));
    const old: { column_name: string }[] = await ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'dedupe_keys' ORDER BY ordinal_position`,
    );
    expect(old.map((c) => c.column_name)).toEqual(['source_id', 'key', 'event_id', 'duplicate_count', 'first_seen_at', 'expires_at']);
  });
});
