import { IdPrefix, newId } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { FeedPartitionsService } from '@hookstream/feed-store';
import type { DeliveryStatsView, EventStatsView, LatencyStatsView } from '../src/stats/stats.dto';
import { startControlApi, TEST_FEED_PROJECTION, type TestApp } from './control-api.harness';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Index of the bucket holding `t` in an answer's grid. */
function at(g: Pick<EventStatsView, 'buckets' | 'bucketSeconds'>, t: Date): number {
  return g.buckets.findIndex((b) => {
    const start = Date.parse(b);
    return t.getTime() >= start && t.getTime() < start + g.bucketSeconds * 1000;
  });
}
const series = <S extends { key: string }>(s: { series: S[] }, key: string) => s.series.find((x) => x.key === key);

describe('dashboard charts: /v1/stats from the read model, per account (real PostgreSQL)', () => {
  let t: TestApp;
  let ds: DataSource;
  let a: { accountId: string; key: string };
  let b: { accountId: string; key: string };
  const now = Date.now();

  beforeAll(async () => {
    t = await startControlApi({ FEED_STREAM_ENABLED: 'false' });
    ds = t.app.get(DataSource);
    a = await t.newAccount('Charts A');
    b = await t.newAccount('Charts B');
    // The feed's day partitions of every time this test writes (boot made only today's and later).
    const days = [now - 2 * HOUR, now].map((x) => new Date(x).toISOString().slice(0, 10));
    // (apps/projector maintains them; its FeedPartitionsService, from libs/feed-store, does it here.)
    await new FeedPartitionsService(ds, { SECRETS_KEY: t.config.SECRETS_KEY, ...TEST_FEED_PROJECTION }).ensureDays([...new Set(days)]);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function feedEvent(accountId: string, status: string, receivedAt: Date): Promise<void> {
    await ds.query(`INSERT INTO feed_events (id, account_id, source_id, status, received_at) VALUES ($1, $2, 'src_stats', $3, $4)`, [newId(IdPrefix.event), accountId, status, receivedAt]);
  }
  async function delivery(accountId: string, status: string, createdAt: Date): Promise<void> {
    await ds.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, created_at, updated_at)
       VALUES ($1, $1, $2, 'ep_stats', 'evt_stats', 'purchase', '{}'::jsonb, $3, 1, $4, $4)`,
      [newId(IdPrefix.delivery), accountId, status, createdAt],
    );
  }
  async function endpoint(key: string, url: string): Promise<string> {
    return (await t.request('POST', '/v1/endpoints', { key, body: { url, eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint.id;
  }
  async function attempt(endpointId: string, latencyMs: number, attemptedAt: Date, outcome = 'succeeded', httpStatus: number | null = 200): Promise<void> {
    await ds.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, attempted_at) VALUES ($1, 1, $2, $3, $4, $5, $6)`,
      [newId(IdPrefix.delivery), endpointId, outcome, httpStatus, latencyMs, attemptedAt],
    );
  }
  const get = async <T>(path: string, key = a.key) => {
    const r = await t.request('GET', path, { key });
    expect(r.statusCode).toBe(200);
    return r.json<T>();
  };

  it('events per bucket by status: only the caller\'s, only inside the window, zero-filled', async () => {
    const t1 = new Date(now - 3 * MIN);
    const t2 = new Date(now - 20 * MIN);
    for (let i = 0; i < 4; i++) await feedEvent(a.accountId, 'accepted', t1);
    await feedEvent(a.accountId, 'rejected', t1);
    await feedEvent(a.accountId, 'duplicate', t2);
    await feedEvent(a.accountId, 'received', t2);
    await feedEvent(a.accountId, 'accepted', new Date(now - 2 * HOUR)); // outside the 1 h window
    for (let i = 0; i < 7; i++) await feedEvent(b.accountId, 'accepted', t1); // another tenant

    const s = await get<EventStatsView>('/v1/stats/events');
    expect(s.bucketSeconds).toBe(60);
    expect(s.buckets).toHaveLength(60);
    expect(s.series.map((x) => x.key)).toEqual(['received', 'accepted', 'rejected', 'duplicate']);
    expect(s.series.map((x) => [x.key, x.total])).toEqual([['received', 1], ['accepted', 4], ['rejected', 1], ['duplicate', 1]]);
    expect(series(s, 'accepted')?.counts[at(s, t1)]).toBe(4);
    expect(series(s, 'rejected')?.counts[at(s, t1)]).toBe(1);
    expect(series(s, 'duplicate')?.counts[at(s, t2)]).toBe(1);
    expect(series(s, 'accepted')?.counts.filter((c) => c > 0)).toEqual([4]);

    // The 6 h window reaches the older event; its buckets are 5 minutes wide.
    const wide = await get<EventStatsView>('/v1/stats/events?window=6h');
    expect(wide.bucketSeconds).toBe(300);
    expect(series(wide, 'accepted')?.total).toBe(5);
    // The other account sees its own 7 only.
    expect(series(await get<EventStatsView>('/v1/stats/events', b.key), 'accepted')?.total).toBe(7);
  });

  it('deliveries per bucket by their current status', async () => {
    const t1 = new Date(now - 5 * MIN);
    for (let i = 0; i < 3; i++) await delivery(a.accountId, 'succeeded', t1);
    await delivery(a.accountId, 'exhausted', t1);
    await delivery(a.accountId, 'failed', new Date(now - 40 * MIN));
    await delivery(b.accountId, 'succeeded', t1);
    await delivery(a.accountId, 'succeeded', new Date(now - 30 * HOUR)); // older than 24 h

    const s = await get<DeliveryStatsView>('/v1/stats/deliveries');
    expect(s.series.map((x) => [x.key, x.total])).toEqual([['pending', 0], ['succeeded', 3], ['failed', 1], ['exhausted', 1], ['cancelled', 0]]);
    expect(series(s, 'succeeded')?.counts[at(s, t1)]).toBe(3);
    expect(series(s, 'exhausted')?.counts[at(s, t1)]).toBe(1);
    const day = await get<DeliveryStatsView>('/v1/stats/deliveries?window=24h');
    expect(day.buckets).toHaveLength(96);
    expect(series(day, 'succeeded')?.total).toBe(3);
  });

  it('latency p50/p99 per endpoint over 24 h: busiest first, sent attempts only, per hour', async () => {
    const busy = await endpoint(a.key, 'https://example.com/busy');
    const quiet = await endpoint(a.key, 'https://example.com/quiet');
    const foreign = await endpoint(b.key, 'https://example.com/foreign');
    const recent = new Date(now - 10 * MIN);
    const earlier = new Date(now - 5 * HOUR);
    // busy: 1..100 ms in the recent hour, 1000 ms twice five hours ago.
    for (let ms = 1; ms <= 100; ms++) await attempt(busy, ms, recent);
    await attempt(busy, 1000, earlier);
    await attempt(busy, 1000, earlier, 'failed', 500);
    // Not sent: skipped (endpoint disabled on our side) and refused before sending (no status, 0 ms).
    await attempt(busy, 0, recent, 'skipped', null);
    await attempt(busy, 0, recent, 'failed', null);
    await attempt(busy, 5000, new Date(now - 26 * HOUR)); // outside 24 h
    await attempt(quiet, 40, recent);
    await attempt(quiet, 60, recent, 'failed', 503);
    await attempt(foreign, 9999, recent);

    const s = await get<LatencyStatsView>('/v1/stats/latency');
    expect(s.bucketSeconds).toBe(3600);
    expect(s.buckets).toHaveLength(24);
    expect(s.endpoints.map((e) => [e.endpointId, e.url, e.attempts])).toEqual([
      [busy, 'https://example.com/busy', 102],
      [quiet, 'https://example.com/quiet', 2],
    ]);
    const [bz, qt] = s.endpoints;
    // percentile_cont over 1..100 and two 1000s.
    expect(bz?.p50).toBe(51.5);
    expect(bz?.p99).toBeGreaterThan(100);
    expect(bz?.p50s[at(s, recent)]).toBe(50.5);
    expect(bz?.p99s[at(s, recent)]).toBe(99);
    expect(bz?.p50s[at(s, earlier)]).toBe(1000);
    expect(bz?.p50s.filter((v) => v !== null)).toHaveLength(2);
    expect(qt?.p50).toBe(50);

    expect((await get<LatencyStatsView>('/v1/stats/latency?endpoints=1')).endpoints.map((e) => e.endpointId)).toEqual([busy]);
    expect((await get<LatencyStatsView>('/v1/stats/latency', b.key)).endpoints.map((e) => [e.endpointId, e.p50])).toEqual([[foreign, 9999]]);
  });

  it('refuses a window it does not draw, and callers without a key', async () => {
    const bad = await t.request('GET', '/v1/stats/events?window=2d', { key: a.key });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('window must be one of 1h, 6h, 24h');
    expect((await t.request('GET', '/v1/stats/latency?endpoints=50', { key: a.key })).statusCode).toBe(400);
    expect((await t.request('GET', '/v1/stats/deliveries')).statusCode).toBe(401);
  });
});
