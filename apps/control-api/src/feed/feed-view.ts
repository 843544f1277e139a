import type { EventSummary } from './feed.dto';
import { emptySummary, type FeedEventRow, type FeedRow, type StoredSummary } from '@hookstream/feed-store';
import { isoOrNull } from '../common/iso-time';

function withSummary(base: Omit<EventSummary, keyof StoredSummary | 'deliveries'>, s: Partial<StoredSummary> | null, deliveries: EventSummary['deliveries']): EventSummary {
  const d = { ...emptySummary(), ...(s ?? {}) };
  return { ...base, person: d.person, location: d.location, product: d.product, amount: d.amount, currency: d.currency, reasons: d.reasons, duplicateOf: d.duplicateOf, deliveries };
}

export function summaryFromDb(r: FeedEventRow): EventSummary {
  return withSummary(
    { id: r.id, status: r.status, type: r.type, sourceId: r.source_id, receivedAt: new Date(r.received_at).toISOString(), occurredAt: isoOrNull(r.occurred_at), dialect: r.dialect },
    r.summary,
    { total: r.deliveries_total, succeeded: r.deliveries_succeeded, failed: r.deliveries_failed },
  );
}

/** What the live stream sends: built from the message alone (deliveries are created later, so none yet). */
export function summaryFromRow(r: FeedRow): EventSummary {
  return withSummary(
    { id: r.id, status: r.status, type: r.type, sourceId: r.sourceId, receivedAt: new Date(r.receivedAt).toISOString(), occurredAt: r.occurredAt ? new Date(r.occurredAt).toISOString() : null, dialect: r.dialect },
    r.summary,
    { total: 0, succeeded: 0, failed: 0 },
  );
}
