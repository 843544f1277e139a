import { IdPrefix, newId, stableId, type CanonicalEvent, type RawEventDto } from '@hookstream/contracts';
import { dedupeRows, idMayRepeat, mergeRows, rowFromDuplicate, rowFromEnriched, rowFromRaw, rowFromRejected } from './feed-rows';
import { EmailHasher } from './email-hash';

const raw: RawEventDto = {
  id: 'evt_0abc', accountId: 'acc_1', sourceId: 'src_1', receivedAt: '2026-03-01T12:00:00.123Z', contentType: 'application/json', headers: {},
  body: { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-03-01T11:59:00Z', email: 'Sarah@Example.com' },
  clientIp: null, idempotencyKey: null, dialect: 'activly', initiatedFrom: 'api',
};

const canonical = {
  id: 'evt_0abc', accountId: 'acc_1', sourceId: 'src_1', type: 'purchase', occurredAt: '2026-03-01T11:59:00.000Z', receivedAt: raw.receivedAt, initiatedFrom: 'api',
  person: { email: 'sarah@example.com', firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
  location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
  product: { id: null, name: 'Running Shoes', link: null, image: null, price: 49, quantity: 1 }, products: [], amount: 49, currency: 'GBP', attributes: {},
  dialect: 'activly', enrichment: { applied: ['location.countryCode'], warnings: [] },
} as CanonicalEvent;

describe('feed rows', () => {
  it('an accepted event shows a masked email only, and keeps the email in clear only for hashing', () => {
    const row = rowFromEnriched(canonical);
    expect(row.status).toBe('accepted');
    expect(row.summary.person).toEqual({ firstName: 'Sarah', lastName: null, emailMasked: 's***@example.com' });
    expect(JSON.stringify(row.summary)).not.toContain('sarah@example.com');
    expect(row.enrichment).toEqual({ applied: ['location.countryCode'], warnings: [] });
    expect(row.summary.product).toEqual({ name: 'Running Shoes' });
  });

  it('a rejected event counts its reasons; a duplicate names its original and is still typed', () => {
    const rej = rowFromRejected({ raw, reasons: [{ path: 'city', rule: 'required', message: 'city is required' }], dialect: 'activly', rejectedAt: raw.receivedAt });
    expect(rej).toMatchObject({ status: 'rejected', summary: { reasons: 1 }, raw });
    const dup = rowFromDuplicate({ raw, dedupeKey: 'k', originalEventId: 'evt_0orig', seenAt: raw.receivedAt });
    expect(dup).toMatchObject({ status: 'duplicate', type: 'purchase', summary: { duplicateOf: 'evt_0orig' }, duplicate: { originalEventId: 'evt_0orig', dedupeKey: 'k' } });
    expect(dup.email).toBe('sarah@example.com');
  });

  it('keeps the verdict when a batch holds both received and a verdict for one event', () => {
    const rows = dedupeRows([rowFromEnriched(canonical), rowFromRaw(raw)]);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('accepted');
  });

  it('merges an event’s raw row and its verdict into one row, in either order, as the upsert would', () => {
    const accepted = rowFromEnriched(canonical);
    const received = rowFromRaw(raw);
    for (const merged of [mergeRows(received, accepted), mergeRows(accepted, received)]) {
      expect(merged).toMatchObject({ status: 'accepted', type: 'purchase', raw, canonical, enrichment: accepted.enrichment, email: 'sarah@example.com', summary: accepted.summary, occurredAt: canonical.occurredAt });
    }
    const rejected = rowFromRejected({ raw, reasons: [{ path: 'city', rule: 'required', message: 'city is required' }], dialect: 'activly', rejectedAt: raw.receivedAt });
    expect(mergeRows(rejected, received)).toEqual(rejected);
    expect(mergeRows(received, rejected)).toEqual(rejected);
    // A verdict without a raw request (events.enriched) keeps the one it met; two raw rows keep the first.
    expect(dedupeRows([received, accepted, rowFromRaw({ ...raw, headers: { x: 'later' } })])[0].raw).toBe(raw);
  });

  it("keeps a retried event (same id, later received_at) at its first-seen received_at", () => {
    const retry = { ...raw, receivedAt: '2026-03-02T08:00:00.000Z' };
    const rows = dedupeRows([rowFromRaw(raw), rowFromEnriched({ ...canonical, receivedAt: retry.receivedAt }), rowFromRaw(retry)]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'accepted', receivedAt: raw.receivedAt });
  });

  it('an id drawn by the gateway (no Idempotency-Key) cannot repeat; a derived one, or any other shape, may', () => {
    const drawn = newId(IdPrefix.event);
    const derived = stableId(IdPrefix.event, 'idempotency-key', 'src_1', 'k1');
    expect(idMayRepeat(drawn)).toBe(false);
    expect(idMayRepeat(derived)).toBe(true);
    expect(idMayRepeat('evt_0abc')).toBe(true);
    expect(idMayRepeat(`${drawn}x`)).toBe(true);
    // An event's raw row and its verdict decide alike, from the id alone.
    const rawDrawn = { ...raw, id: drawn };
    expect([rowFromRaw(rawDrawn).mayRepeat, rowFromEnriched({ ...canonical, id: drawn }).mayRepeat, rowFromRejected({ raw: rawDrawn, reasons: [], dialect: 'activly', rejectedAt: raw.receivedAt }).mayRepeat]).toEqual([false, false, false]);
    const rawDerived = { ...raw, id: derived, idempotencyKey: 'k1' };
    expect([rowFromRaw(rawDerived).mayRepeat, rowFromEnriched({ ...canonical, id: derived }).mayRepeat, rowFromDuplicate({ raw: rawDerived, dedupeKey: 'k', originalEventId: 'evt_0orig', seenAt: raw.receivedAt }).mayRepeat]).toEqual([true, true, true]);
  });
});

describe('EmailHasher', () => {
  it('matches an address however it is spelled, and depends on the key', () => {
    const a = new EmailHasher(Buffer.alloc(32, 1).toString('base64'));
    const b = new EmailHasher(Buffer.alloc(32, 2).toString('base64'));
    expect(a.hash(' Sarah@Example.com ')).toBe(a.hash('sarah@example.com'));
    expect(a.hash('sarah@example.com')).not.toBe(b.hash('sarah@example.com'));
    expect(a.hash('sarah@example.com')).not.toContain('sarah');
  });
});
