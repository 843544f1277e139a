import { IdPrefix, newId } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { startControlApi, type TestApp } from './control-api.harness';

interface Health {
  last24h: { attempts: number; succeeded: number; failed: number };
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failingSince: string | null;
}

const MIN = 60_000;

describe('endpoint health widget: counts and "failing since" from the same attempts (real PostgreSQL)', () => {
  let t: TestApp;
  let ds: DataSource;
  let acct: { accountId: string; key: string };

  beforeAll(async () => {
    t = await startControlApi({ FEED_STREAM_ENABLED: 'false' });
    ds = t.app.get(DataSource);
    acct = await t.newAccount();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function attempt(endpointId: string, outcome: string, at: Date): Promise<void> {
    await ds.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, endpoint_id, outcome, http_status, latency_ms, error, attempted_at) VALUES ($1, 1, $2, $3, $4, 5, $5, $6)`,
      [newId(IdPrefix.delivery), endpointId, outcome, outcome === 'succeeded' ? 200 : 500, outcome === 'succeeded' ? null : 'HTTP 500', at],
    );
  }
  const health = async (id: string) => (await t.request('GET', `/v1/endpoints/${id}/health`, { key: acct.key })).json<Health>();

  it('does not say "failing since" next to 100 % of its attempts, whatever another source of results claims', async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/ok', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint.id;
    const now = Date.now();
    for (let i = 6; i >= 1; i--) await attempt(ep, 'succeeded', new Date(now - i * MIN));
    // What the widget once read beside the counts: endpoint_health, moved by a delivery-results
    // record that no attempt of this database stands for (another stack sharing the topic).
    await ds.query(
      `INSERT INTO endpoint_health (endpoint_id, account_id, failing_since, last_success_at, last_failure_at) VALUES ($1, $2, now(), NULL, now())
       ON CONFLICT (endpoint_id) DO UPDATE SET failing_since = now(), last_failure_at = now()`,
      [ep, acct.accountId],
    );
    const h = await health(ep);
    expect(h.last24h).toEqual({ attempts: 6, succeeded: 6, failed: 0 });
    expect(h.failingSince).toBeNull();
    expect(h.lastFailureAt).toBeNull();
    expect(h.lastSuccessAt).toBe(new Date(now - MIN).toISOString());
  });

  it('says failing since the first failure after the last success, counts those failures, and clears on the next success', async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/flaky', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint.id;
    const now = Date.now();
    await attempt(ep, 'failed', new Date(now - 30 * MIN)); // before the success: not part of the streak
    await attempt(ep, 'succeeded', new Date(now - 20 * MIN));
    await attempt(ep, 'failed', new Date(now - 10 * MIN));
    await attempt(ep, 'exhausted', new Date(now - 5 * MIN));
    let h = await health(ep);
    expect(h.last24h).toEqual({ attempts: 4, succeeded: 1, failed: 3 });
    expect(h.failingSince).toBe(new Date(now - 10 * MIN).toISOString());
    expect(h.lastFailureAt).toBe(new Date(now - 5 * MIN).toISOString());
    expect(h.lastSuccessAt).toBe(new Date(now - 20 * MIN).toISOString());

    await attempt(ep, 'succeeded', new Date(now - MIN));
    h = await health(ep);
    expect(h.failingSince).toBeNull();
    expect(h.last24h).toEqual({ attempts: 5, succeeded: 2, failed: 3 });
  });
});
