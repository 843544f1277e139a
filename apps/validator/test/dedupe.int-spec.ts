import { createDataSource, dedupeKeyBytesSql, migrateWithLock, type DataSource } from '@hookstream/db';
import { testDatabaseUrl, uniqueName } from '@hookstream/testing';
import { DedupeRepository, dedupeKeyBytes } from '../src/validation/dedupe.repository';
import { DedupePurgeService } from '../src/validation/dedupe-purge.service';
import { ValidatorConfig } from '../src/validator.config';

/** The dedupe claim statement on the real PostgreSQL: ownership, counts, expiry and retention. */
describe('DedupeRepository.claim (real PostgreSQL)', () => {
  let ds: DataSource;
  let repo: DedupeRepository;
  const src = uniqueName('src_dedupe').replace(/-/g, '_');
  const k = (key: string) => `${src}\u0000${key}`;

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 2, applicationName: 'dedupe-int-test', preparedStatements: true });
    await ds.initialize();
    await migrateWithLock(ds);
    repo = new DedupeRepository(ds);
  });
  afterAll(async () => {
    await ds.query('DELETE FROM dedupe_keys WHERE source_id = $1', [src]);
    await ds.destroy();
  });

  const row = async (key: string) =>
    ((await ds.query(
      `SELECT event_id, duplicate_count, round(extract(epoch FROM expires_at - first_seen_at) / 86400) AS days FROM dedupe_keys WHERE key_bytes = $1`,
      [dedupeKeyBytes(src, key)],
    )) as { event_id: string; duplicate_count: number; days: string }[])[0];

  it('claims new keys in one statement, keeps the first owner, counts repeats and other events, never a redelivery', async () => {
    const first = await repo.claim([
      { sourceId: src, key: 'a', eventId: 'evt_1', repeats: 0 },
      { sourceId: src, key: 'b', eventId: 'evt_2', repeats: 2 },
    ], 4);
    expect([...first.owners]).toEqual([[k('a'), 'evt_1'], [k('b'), 'evt_2']]);
    expect([...first.claimed].sort()).toEqual([k('a'), k('b')]);
    expect(await row('a')).toEqual({ event_id: 'evt_1', duplicate_count: 0, days: '4' });
    expect(await row('b')).toEqual({ event_id: 'evt_2', duplicate_count: 2, days: '4' });

    // The same event again (a redelivery) changes nothing; another event is a duplicate (+1, plus its in-batch repeats).
    const again = await repo.claim([
      { sourceId: src, key: 'a', eventId: 'evt_1' },
      { sourceId: src, key: 'b', eventId: 'evt_9', repeats: 1 },
    ], 4);
    expect([...again.owners]).toEqual([[k('a'), 'evt_1'], [k('b'), 'evt_2']]);
    expect(again.claimed.size).toBe(0);
    expect(await row('a')).toMatchObject({ event_id: 'evt_1', duplicate_count: 0 });
    expect(await row('b')).toMatchObject({ event_id: 'evt_2', duplicate_count: 4 });
  });

  it('gives an expired key to the new event, with its count started again and the new retention', async () => {
    await repo.claim([{ sourceId: src, key: 'old', eventId: 'evt_old' }], 4);
    await repo.claim([{ sourceId: src, key: 'old', eventId: 'evt_dup' }], 4);
    await ds.query(`UPDATE dedupe_keys SET expires_at = now() - interval '1 second' WHERE key_bytes = $1`, [dedupeKeyBytes(src, 'old')]);

    const r = await repo.claim([{ sourceId: src, key: 'old', eventId: 'evt_new', repeats: 1 }], 7);
    expect(r.owners.get(k('old'))).toBe('evt_new');
    expect(r.claimed.has(k('old'))).toBe(true);
    expect(await row('old')).toEqual({ event_id: 'evt_new', duplicate_count: 1, days: '7' });
  });

  it('keys rows by compact bytes the migration computes the same way in SQL, for every kind of key', async () => {
    const digest = 'ab'.repeat(32);
    const keys = [`sha256:${digest}`, `win:${digest}`, 'idem:Bestellung-Nr. 42 — Größe M', 'pid:🙂', `sha256:${digest.toUpperCase()}`, 'sha256:abc'];
    await repo.claim(keys.map((key, i) => ({ sourceId: src, key, eventId: `evt_h${i}` })), 4);
    const sourcePart = dedupeKeyBytes(src, 'x').subarray(0, 8);
    for (const [i, key] of keys.entries()) {
      const bytes = dedupeKeyBytes(src, key);
      expect(bytes.subarray(0, 8)).toEqual(sourcePart);
      // The expression of migration 1765000000000, which converted the keys it copied.
      const [r] = (await ds.query(
        `SELECT event_id, key_bytes = ${dedupeKeyBytesSql('$1::text', '$2::text')} AS same FROM dedupe_keys WHERE key_bytes = $3`,
        [src, key, bytes],
      )) as { event_id: string; same: boolean }[];
      expect([key, r]).toEqual([key, { event_id: `evt_h${i}`, same: true }]);
    }
    // Digest keys take 8 + 1 + 16 bytes; other keys keep their text, so numbered ones stay in order.
    expect(dedupeKeyBytes(src, keys[0])).toHaveLength(25);
    expect(dedupeKeyBytes(src, keys[0]).equals(dedupeKeyBytes(src, keys[1]))).toBe(false);
    expect(dedupeKeyBytes(src, 'sha256:abc').subarray(8).toString('utf8')).toBe('\u0000sha256:abc');
    expect(Buffer.compare(dedupeKeyBytes(src, 'idem:order-0009'), dedupeKeyBytes(src, 'idem:order-0010'))).toBe(-1);
    // The source id is part of the key: the same key of another source is another row.
    const other = await repo.claim([{ sourceId: `${src}_b`, key: keys[2], eventId: 'evt_other_source' }], 4);
    expect(other.claimed.has(`${src}_b\u0000${keys[2]}`)).toBe(true);
    await ds.query('DELETE FROM dedupe_keys WHERE source_id = $1', [`${src}_b`]);
  });

  it('releases only the keys still owned by the given event', async () => {
    await repo.claim([{ sourceId: src, key: 'rel', eventId: 'evt_r' }], 4);
    expect(await repo.release([{ sourceId: src, key: 'rel', eventId: 'evt_other' }])).toBe(0);
    expect(await repo.release([{ sourceId: src, key: 'rel', eventId: 'evt_r' }])).toBe(1);
    expect(await row('rel')).toBeUndefined();
  });

  it('purges expired keys in chunks and says how many (0 when none is left)', async () => {
    await repo.claim([{ sourceId: src, key: 'p1', eventId: 'evt_p1' }, { sourceId: src, key: 'p2', eventId: 'evt_p2' }, { sourceId: src, key: 'keep', eventId: 'evt_k' }], 4);
    await ds.query(`UPDATE dedupe_keys SET expires_at = now() - interval '1 second' WHERE key_bytes = ANY($1::bytea[])`, [[dedupeKeyBytes(src, 'p1'), dedupeKeyBytes(src, 'p2')]]);
    // Other runs' expired keys may share the table: purge until none is left, and count ours.
    const purged: number[] = [];
    for (let d = await repo.purgeExpired(1); d > 0 && purged.length < 1000; d = await repo.purgeExpired(1)) purged.push(d);
    expect(purged.every((d) => d === 1)).toBe(true);
    expect(purged.length).toBeGreaterThanOrEqual(2);
    expect(await repo.purgeExpired()).toBe(0);
    expect([await row('p1'), await row('p2')]).toEqual([undefined, undefined]);
    expect(await row('keep')).toMatchObject({ event_id: 'evt_k' });
  });

  it('one purge run deletes every expired key, chunk after chunk, and keeps the live ones', async () => {
    // 1,050 keys an hour past expiry, in chunks of 100: a run with a fixed number of chunks would
    // stop short; this one goes on until a chunk comes back short.
    await ds.query(
      `INSERT INTO dedupe_keys (key_bytes, source_id, event_id, duplicate_count, first_seen_at, expires_at)
       SELECT ${dedupeKeyBytesSql('$1::text', "'idem:run-' || g")}, $1, 'evt_run' || g, 0, now() - interval '5 days', now() - interval '1 hour'
         FROM generate_series(1, 1050) g`,
      [src],
    );
    await repo.claim([{ sourceId: src, key: 'run-live', eventId: 'evt_live' }], 4);
    const purge = new DedupePurgeService(repo, Object.assign(new ValidatorConfig(), { DEDUPE_PURGE_BATCH: 100 }));
    const run = await purge.purge();
    expect(run.stopped).toBe(false);
    expect(run.chunks).toBeGreaterThanOrEqual(11);
    expect(run.deleted['dedupe_keys']).toBeGreaterThanOrEqual(1050);
    expect(run.overdueSeconds).toBeGreaterThanOrEqual(3600);
    const [left] = (await ds.query(
      `SELECT count(*) FILTER (WHERE event_id LIKE 'evt_run%')::int AS expired, count(*) FILTER (WHERE event_id = 'evt_live')::int AS live
         FROM dedupe_keys WHERE source_id = $1`,
      [src],
    )) as { expired: number; live: number }[];
    expect(left).toEqual({ expired: 0, live: 1 });
  });
});
