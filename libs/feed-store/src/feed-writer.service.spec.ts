import type { CanonicalEvent, RawEventDto } from '@hookstream/contracts';
import type { FeedPartitionsService } from './feed-partitions.service';
import { rowFromEnriched, rowFromRaw, type FeedRow } from './feed-rows';
import type { FeedRepository } from './feed.repository';
import { FeedWriterService } from './feed-writer.service';

const raw = (id: string): RawEventDto => ({
  id, accountId: 'acc_1', sourceId: 'src_1', receivedAt: new Date().toISOString(), contentType: 'application/json', headers: {},
  body: { event: 'purchase', email: 'a@example.com' }, clientIp: null, idempotencyKey: null, dialect: 'activly', initiatedFrom: 'api',
});
const enriched = (r: RawEventDto) =>
  ({ id: r.id, accountId: r.accountId, sourceId: r.sourceId, receivedAt: r.receivedAt, type: 'purchase', occurredAt: r.receivedAt, dialect: 'activly', person: { email: 'a@example.com' } }) as unknown as CanonicalEvent;

function writer(coalesce: 'true' | 'false', fails: (rows: FeedRow[]) => boolean = () => false, holdMs = 0) {
  const statements: (FeedRow & { emailHash: string | null })[][] = [];
  const repo = {
    upsert: async (rows: (FeedRow & { emailHash: string | null })[]) => {
      statements.push(rows);
      if (fails(rows)) throw new Error('unsupported Unicode escape sequence');
    },
  } as unknown as FeedRepository;
  const partitions = { retentionCutoff: () => new Date(0), ensureDays: async () => undefined } as unknown as FeedPartitionsService;
  const settings = { SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), FEED_RETENTION_DAYS: 14, FEED_PARTITIONS_AHEAD_DAYS: 3, FEED_MAINTENANCE_INTERVAL_MS: 3_600_000, FEED_COALESCE_WRITES: coalesce, FEED_RAW_HOLD_MS: holdMs };
  return { service: new FeedWriterService(settings, repo, partitions), statements };
}

describe('FeedWriterService', () => {
  it('writes the batches of the topics handed over together in ONE upsert, an event’s raw row and verdict as one row', async () => {
    const { service, statements } = writer('true');
    const [a, b] = [raw('evt_0a'), raw('evt_0b')];
    await Promise.all([service.write([rowFromRaw(a), rowFromRaw(b)]), service.write([rowFromEnriched(enriched(a))])]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toHaveLength(2);
    const rowA = statements[0].find((r) => r.id === 'evt_0a');
    expect(rowA).toMatchObject({ status: 'accepted', raw: a, type: 'purchase' });
    expect(rowA?.emailHash).toEqual(expect.any(String));
    expect(statements[0].find((r) => r.id === 'evt_0b')).toMatchObject({ status: 'received', raw: b });
    // A later batch gets a statement of its own.
    await service.write([rowFromEnriched(enriched(b))]);
    expect(statements).toHaveLength(2);
  });

  it('when the shared statement fails, writes each batch on its own: only the one with the bad row fails (nothing healthy is retried towards the DLQ)', async () => {
    const { service, statements } = writer('true', (rows) => rows.some((r) => r.id === 'evt_0bad'));
    const results = await Promise.allSettled([service.write([rowFromRaw(raw('evt_0a'))]), service.write([rowFromRaw(raw('evt_0bad'))])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(statements.map((s) => s.map((r) => r.id))).toEqual([['evt_0a', 'evt_0bad'], ['evt_0a'], ['evt_0bad']]);
  });

  it('fails every batch while PostgreSQL refuses them all (each consumer path holds and retries)', async () => {
    const { service } = writer('true', () => true);
    const results = await Promise.allSettled([service.write([rowFromRaw(raw('evt_0a'))]), service.write([rowFromRaw(raw('evt_0b'))])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('with FEED_COALESCE_WRITES=false writes each batch on its own', async () => {
    const { service, statements } = writer('false');
    const a = raw('evt_0a');
    await Promise.all([service.write([rowFromRaw(a)]), service.write([rowFromEnriched(enriched(a))])]);
    expect(statements.map((s) => s.map((r) => r.status))).toEqual([['received'], ['accepted']]);
  });
});

describe('FeedWriterService: raw rows held for their verdict (FEED_RAW_HOLD_MS)', () => {
  const settle = (p: Promise<unknown>) => {
    const state = { done: false, failed: false };
    p.then(() => (state.done = true), () => (state.failed = true));
    return state;
  };

  it('writes an event whose verdict comes within the hold as ONE row, and settles the raw call only then', async () => {
    const { service, statements } = writer('true', () => false, 5_000);
    const [a, b] = [raw('evt_0a'), raw('evt_0b')];
    const { settled } = await service.hold([rowFromRaw(a), rowFromRaw(b)]);
    const state = settle(settled);
    await new Promise((r) => setTimeout(r, 20));
    expect(statements).toHaveLength(0); // held
    await service.write([rowFromEnriched(enriched(a))]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toHaveLength(1);
    expect(statements[0][0]).toMatchObject({ id: 'evt_0a', status: 'accepted', raw: a, type: 'purchase' });
    expect(state.done).toBe(false); // evt_0b still waits for its verdict
    await service.write([rowFromEnriched(enriched(b))]);
    await settled;
    expect(statements.map((st) => st.map((r) => [r.id, r.status, r.raw !== null]))).toEqual([[['evt_0a', 'accepted', true]], [['evt_0b', 'accepted', true]]]);
  });

  it('writes the rows still held when their time is up, together, as received', async () => {
    const { service, statements } = writer('true', () => false, 40);
    const started = Date.now();
    const { settled } = await service.hold([rowFromRaw(raw('evt_0a')), rowFromRaw(raw('evt_0b'))]);
    await settled;
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(statements.map((st) => st.map((r) => [r.id, r.status]))).toEqual([[['evt_0a', 'received'], ['evt_0b', 'received']]]);
  });

  it('a verdict already in this turn’s statement takes its raw row along at once', async () => {
    const { service, statements } = writer('true', () => false, 5_000);
    const a = raw('evt_0a');
    const verdict = service.write([rowFromEnriched(enriched(a))]);
    const { settled } = await service.hold([rowFromRaw(a)]);
    await Promise.all([verdict, settled]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toHaveLength(1);
    expect(statements[0][0]).toMatchObject({ id: 'evt_0a', status: 'accepted', raw: a });
  });

  it('fails the raw call when the statement carrying one of its rows fails, and the verdict’s batch is retried on its own', async () => {
    let refuse = true;
    const { service, statements } = writer('true', (rows) => refuse && rows.some((r) => r.status === 'received' || r.raw !== null), 5_000);
    const a = raw('evt_0a');
    const { settled } = await service.hold([rowFromRaw(a)]);
    const state = settle(settled);
    const verdict = await Promise.allSettled([service.write([rowFromEnriched(enriched(a))])]);
    await new Promise((r) => setImmediate(r));
    // Shared statement failed; each written alone: the verdict passes, the raw row fails.
    expect(verdict[0].status).toBe('fulfilled');
    expect(state.failed).toBe(true);
    expect(statements.map((st) => st.map((r) => r.status))).toEqual([['accepted'], ['accepted'], ['received']]);
    // Read again (the consumer sought back), it is written within the call: a failure is the call's own.
    await expect(service.hold([rowFromRaw(a)])).rejects.toThrow('unsupported Unicode escape sequence');
    // The consumer's retry of that call too: its poison path can reach the DLQ.
    await expect(service.hold([rowFromRaw(a)])).rejects.toThrow('unsupported Unicode escape sequence');
    expect(service.heldRows).toBe(0);
    refuse = false;
    const again = await service.hold([rowFromRaw(a)]);
    await again.settled;
    expect(statements.at(-1)?.map((r) => r.status)).toEqual(['received']);
    expect(service.heldRows).toBe(0);
  });

  it('writes what is held at shutdown at once', async () => {
    const { service, statements } = writer('true', () => false, 5_000);
    const { settled } = await service.hold([rowFromRaw(raw('evt_0a'))]);
    await service.onApplicationShutdown();
    await settled;
    expect(statements).toHaveLength(1);
  });

  it('a raw row read again while still held is written at once (a redelivery), and 0 holds nothing', async () => {
    const held = writer('true', () => false, 5_000);
    const a = raw('evt_0a');
    const first = await held.service.hold([rowFromRaw(a)]);
    const second = await held.service.hold([rowFromRaw(a)]);
    await second.settled;
    expect(held.statements).toHaveLength(1);
    await held.service.onApplicationShutdown();
    await first.settled;
    const off = writer('true');
    await (await off.service.hold([rowFromRaw(a)])).settled;
    expect(off.statements).toHaveLength(1);
  });
});
