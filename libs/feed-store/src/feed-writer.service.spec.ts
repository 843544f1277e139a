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

function writer(coalesce: 'true' | 'false', fails: (rows: FeedRow[]) => boolean = () => false) {
  const statements: (FeedRow & { emailHash: string | null })[][] = [];
  const repo = {
    upsert: async (rows: (FeedRow & { emailHash: string | null })[]) => {
      statements.push(rows);
      if (fails(rows)) throw new Error('unsupported Unicode escape sequence');
    },
  } as unknown as FeedRepository;
  const partitions = { retentionCutoff: () => new Date(0), ensureDays: async () => undefined } as unknown as FeedPartitionsService;
  const settings = { SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), FEED_RETENTION_DAYS: 14, FEED_PARTITIONS_AHEAD_DAYS: 3, FEED_MAINTENANCE_INTERVAL_MS: 3_600_000, FEED_COALESCE_WRITES: coalesce };
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
