import { createDataSource, migrateWithLock, type DataSource } from '@hookstream/db';
import { testDatabaseUrl, uniqueName } from '@hookstream/testing';
import { DedupeRepository } from '../src/validation/dedupe.repository';
import { DedupePurgeService } from '../src/validation/dedupe-purge.service';
import { ValidatorConfig } from '../src/validator.config';

/** The dedupe claim statement on the real PostgreSQL: ownership, counts, expiry and retention. */
describe('DedupeRepository.claim (real PostgreSQL)', () => {
  let ds: DataSource;
  let repo: DedupeRepository;
  const src = uniqueName('src_dedupe').replace(/-/g, '_');
  const k = (key: string) => `${src}\u0000${key}`;

  beforeAll(async () => {
    ds = createDataSource({ url: testDatabaseUrl(), poolSize: 2, applicationName: 'dedupe-int-test' });
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
      `SELECT event_id, duplicate_count, round(extract(epoch FROM expires_at - first_seen_at) / 86400) AS days FROM dedupe_keys WHERE source_id = $1 AND key = $2`,
      [src, key],
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
    await ds.query(`UPDATE dedupe_keys SET expires_at = now() - interval '1 second' WHERE source_id = $1 AND key = 'old'`, [src]);

    const r = await repo.claim([{ sourceId: src, key: 'old', eventId: 'evt_new', repeats: 1 }], 7);
    expect(r.owners.get(k('old'))).toBe('evt_new');
    expect(r.claimed.has(k('old'))).toBe(true);
    expect(await row('old')).toEqual({ event_id: 'evt_new', duplicate_count: 1, days: '7' });
  });

  it('releases only the keys still owned by the given event', async () => {
    await repo.claim([{ sourceId: src, key: 'rel', eventId: 'evt_r' }], 4);
    expect(await repo.release([{ sourceId: src, key: 'rel', eventId: 'evt_other' }])).toBe(0);
    expect(await repo.release([{ sourceId: src, key: 'rel', eventId: 'evt_r' }])).toBe(1);
    expect(await row('rel')).toBeUndefined();
  });

  it('purges expired keys in chunks and says how many (0 when none is left)', async () => {
    await repo.claim([{ sourceId: src, key: 'p1', eventId: 'evt_p1' }, { sourceId: src, key: 'p2', eventId: 'evt_p2' }, { sourceId: src, key: 'keep', eventId: 'evt_k' }], 4);
    await ds.query(`UPDATE dedupe_keys SET expires_at = now() - interval '1 second' WHERE source_id = $1 AND key IN ('p1', 'p2')`, [src]);
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
      `INSERT INTO dedupe_keys (source_id, key, event_id, duplicate_count, first_seen_at, expires_at)
       SELECT $1, 'run-' || g, 'evt_run' || g, 0, now() - interval '5 days', now() - interval '1 hour' FROM generate_series(1, 1050) g`,
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
      `SELECT count(*) FILTER (WHERE key LIKE 'run-%' AND key <> 'run-live')::int AS expired, count(*) FILTER (WHERE key = 'run-live')::int AS live
         FROM dedupe_keys WHERE source_id = $1`,
      [src],
    )) as { expired: number; live: number }[];
    expect(left).toEqual({ expired: 0, live: 1 });
  });
});
