// The shared integration helpers live in the testing lib, which builds on this lib; only this
// test crosses that line, the lib's sources never do.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { testDatabaseUrl, waitFor } from '@hookstream/testing';
import { createDataSource, pgPoolOf, type DataSource } from '@hookstream/db';
import { metricSample as sample, registerDbPoolMetrics } from '../src';

/**
 * The pool an app gets from CoreModule (createDataSource with DB_POOL_SIZE / DB_POOL_IDLE_SECONDS)
 * on the real server: what its metrics report, and which connections it keeps while unused.
 */
describe('PostgreSQL pool: idle connections and metrics', () => {
  const sources: DataSource[] = [];
  const open = async (idleSeconds: number, applicationName: string) => {
    const ds = createDataSource({ url: testDatabaseUrl(), poolSize: 3, idleSeconds, applicationName });
    await ds.initialize();
    sources.push(ds);
    return ds;
  };
  /** Holds `n` connections at once (each in a transaction until all have one), then gives them back. */
  const useConnections = async (ds: DataSource, n: number) => {
    const runners = Array.from({ length: n }, () => ds.createQueryRunner());
    for (const r of runners) await r.connect();
    await Promise.all(runners.map((r) => r.query('SELECT pg_backend_pid()')));
    await Promise.all(runners.map((r) => r.release()));
  };

  afterAll(async () => {
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
  });

  it('reports busy, idle and opened connections as the pool counts them', async () => {
    const ds = await open(0, 'pool-it-metrics');
    const pool = pgPoolOf(ds);
    registerDbPoolMetrics(pool);
    const before = pool.totalCount;
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.query('SELECT 1');
    expect(await sample('hookstream_db_pool_connections', { state: 'busy' })).toBe(1);
    await runner.release();
    await useConnections(ds, 3);
    expect(await sample('hookstream_db_pool_connections', { state: 'busy' })).toBe(0);
    expect(await sample('hookstream_db_pool_connections', { state: 'idle' })).toBe(3);
    expect(await sample('hookstream_db_pool_waiting')).toBe(0);
    // Opened since registration: the pool grew from `before` to its size of 3.
    expect(await sample('hookstream_db_pool_opened_total')).toBe(3 - before);
  });

  it('closes connections unused for DB_POOL_IDLE_SECONDS, and keeps every one with 0', async () => {
    const closing = await open(1, 'pool-it-closing');
    const keeping = await open(0, 'pool-it-keeping');
    await useConnections(keeping, 3);
    await useConnections(closing, 3);
    expect(pgPoolOf(closing).totalCount).toBe(3);
    // `keeping` has been idle at least as long as `closing` once these are gone.
    await waitFor(() => (pgPoolOf(closing).totalCount === 0 ? true : undefined), { timeoutMs: 5_000, what: 'the idle connections to close' });
    expect(pgPoolOf(keeping).totalCount).toBe(3);
    expect(pgPoolOf(keeping).idleCount).toBe(3);
    // The server agrees: the kept connections are still there, the closed ones are not.
    const rows = await keeping.query<{ app: string; n: string }[]>(
      `SELECT application_name AS app, count(*) AS n FROM pg_stat_activity WHERE application_name IN ('pool-it-closing', 'pool-it-keeping') GROUP BY 1`,
    );
    const byApp = Object.fromEntries(rows.map((r) => [r.app, Number(r.n)]));
    expect(byApp['pool-it-keeping']).toBe(3);
    expect(byApp['pool-it-closing']).toBeUndefined();
  });
});
