// The testing lib builds on this lib; only this test crosses that line, the lib's sources never do
// (as in libs/kafka/test).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createDatabase, dropDatabase, testDatabaseUrl } from '@hookstream/testing';
import { randomBytes } from 'node:crypto';
import { createDataSource, LZ4_COLUMNS, migrateWithLock, MIGRATIONS, type DataSource } from '../src';

/** A JSON document of ~6 kB that compresses well (repeated keys and words, as webhook payloads do). */
function payload(): Record<string, unknown> {
  return { line_items: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, title: `Running Shoes, size ${i % 12}`, quantity: 1, vendor: 'Acme Sports' })) };
}

describe('payload columns compressed with lz4 (migration Lz4Compression1764800000000)', () => {
  const dbName = `hookstream_lz4_${randomBytes(6).toString('hex')}`;
  const serverUrl = testDatabaseUrl();
  let ds: DataSource;

  /** attcompression per `relation.column` of the listed columns ('l' = lz4, '' = the server's default). */
  async function methods(relations: string[]): Promise<Map<string, string>> {
    const rows: { rel: string; col: string; m: string }[] = await ds.query(
      `SELECT c.relname AS rel, a.attname AS col, a.attcompression::text AS m
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [relations],
    );
    return new Map(rows.map((r) => [`${r.rel}.${r.col}`, r.m]));
  }

  beforeAll(async () => {
    ds = createDataSource({ url: await createDatabase(serverUrl, dbName), poolSize: 2, applicationName: 'lz4-test' });
    await ds.initialize();
    await migrateWithLock(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(serverUrl, dbName);
  });

  it('sets lz4 on every listed column: the tables, the feed partitions the migrations created, and a partition created later', async () => {
    const partitions: { rel: string }[] = await ds.query(`SELECT inhrelid::regclass::text AS rel FROM pg_inherits WHERE inhparent = 'feed_events'::regclass`);
    expect(partitions.length).toBeGreaterThan(0);
    await ds.query(`CREATE TABLE feed_events_p20991231 PARTITION OF feed_events FOR VALUES FROM ('2099-12-31 00:00:00+00') TO ('2100-01-01 00:00:00+00')`);
    const rels = [...Object.keys(LZ4_COLUMNS), ...partitions.map((p) => p.rel), 'feed_events_p20991231'];
    const m = await methods(rels);
    for (const rel of rels) {
      const cols = LZ4_COLUMNS[rel] ?? LZ4_COLUMNS['feed_events'];
      for (const col of cols) expect([`${rel}.${col}`, m.get(`${rel}.${col}`)]).toEqual([`${rel}.${col}`, 'l']);
    }
    // Key and timestamp columns are left alone.
    expect(m.get('feed_events.id')).toBe('');
  });

  it('a large payload written to the feed is stored lz4-compressed', async () => {
    const raw = JSON.stringify(payload());
    expect(raw.length).toBeGreaterThan(2500);
    await ds.query(
      `INSERT INTO feed_events (id, account_id, source_id, status, received_at, raw) VALUES ('evt_lz4', 'acc_lz4', 'src_lz4', 'received', now(), $1::jsonb)`,
      [raw],
    );
    const [row]: { method: string | null; stored: number }[] = await ds.query(
      `SELECT pg_column_compression(raw) AS method, pg_column_size(raw) AS stored FROM feed_events WHERE id = 'evt_lz4'`,
    );
    expect(row.method).toBe('lz4');
    expect(row.stored).toBeLessThan(raw.length / 2);
  });

  it('reverting the migration puts the default back', async () => {
    // Undone in reverse order, as TypeORM does: the migrations applied after it first, then it.
    const after = MIGRATIONS.length - 1 - MIGRATIONS.findIndex((M) => new M().name === 'Lz4Compression1764800000000');
    expect(after).toBeGreaterThanOrEqual(0);
    for (let i = 0; i <= after; i++) await ds.undoLastMigration({ transaction: 'each' });
    const m = await methods(['deliveries', 'feed_events']);
    expect(m.get('deliveries.request')).toBe('');
    expect(m.get('feed_events.raw')).toBe('');
    await migrateWithLock(ds);
    expect((await methods(['deliveries'])).get('deliveries.request')).toBe('l');
  });
});
