import { DataSource } from '@hookstream/db';
import { startControlApi, type TestApp } from './control-api.harness';

interface Page {
  data: { id: string }[];
  nextCursor: string | null;
}

const ROWS = 10_000;

/** Follows nextCursor to the end, 200 per page; returns every id listed. */
async function listAll(t: TestApp, key: string, path: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await t.request('GET', `${path}${path.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(res.statusCode).toBe(200);
    const body = res.json<Page>();
    ids.push(...body.data.map((d) => d.id));
    cursor = body.nextCursor;
    if (cursor === null) return ids;
  }
  throw new Error('paging did not end');
}

describe('list paging over rows that share one now() (real PostgreSQL)', () => {
  let t: TestApp;
  let ds: DataSource;
  let acct: { accountId: string; key: string };

  beforeAll(async () => {
    t = await startControlApi({ FEED_STREAM_ENABLED: 'false' });
    ds = t.app.get(DataSource);
    acct = await t.newAccount();
  });
  afterAll(async () => {
    await ds?.query('DELETE FROM deliveries WHERE account_id = $1', [acct.accountId]).catch(() => undefined);
    await t?.close();
  });

  it('lists all 10,000 deliveries of one batch insert, each once, across pages of 200', async () => {
    // One statement: every row gets the same microsecond now(), as delivery's batch insert does.
    await ds.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, endpoint_id, event_id, event_type, request, status, attempts, created_at, updated_at)
       SELECT 'dlv_pg' || lpad(g::text, 6, '0'), 'msg_' || g, $1, 'ep_paging', 'evt_pg' || g, 'purchase', '{}'::jsonb, 'succeeded', 1, now(), now()
         FROM generate_series(1, $2::int) g`,
      [acct.accountId, ROWS],
    );
    const ids = await listAll(t, acct.key, '/v1/deliveries');
    expect(ids).toHaveLength(ROWS);
    expect(new Set(ids).size).toBe(ROWS);
    // Newest first, then by id descending within one instant.
    expect(ids[0]).toBe('dlv_pg010000');
    expect(ids[ROWS - 1]).toBe('dlv_pg000001');
  });

  it('lists all 10,000 feed events received in one instant, each once, across pages of 200', async () => {
    await ds.query(
      `INSERT INTO feed_events (id, account_id, source_id, status, received_at)
       SELECT 'evt_pg' || lpad(g::text, 6, '0'), $1, 'src_paging', 'received', now()
         FROM generate_series(1, $2::int) g`,
      [acct.accountId, ROWS],
    );
    const ids = await listAll(t, acct.key, '/v1/events?sourceId=src_paging');
    expect(ids).toHaveLength(ROWS);
    expect(new Set(ids).size).toBe(ROWS);
  });

  it('keeps the microseconds in the cursor, and an old millisecond cursor still decodes', async () => {
    const first = (await t.request('GET', '/v1/deliveries?limit=1', { key: acct.key })).json<Page>();
    const decoded = JSON.parse(Buffer.from(first.nextCursor ?? '', 'base64url').toString('utf8')) as { t: string };
    expect(decoded.t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const old = Buffer.from(JSON.stringify({ t: '2026-01-01T00:00:00.123Z', id: 'dlv_x' })).toString('base64url');
    expect((await t.request('GET', `/v1/deliveries?cursor=${old}`, { key: acct.key })).statusCode).toBe(200);
  });
});
