import type { CanonicalEvent, DuplicateEvent, RawEventDto, RejectedEvent, ValidationReason } from '@hookstream/contracts';
import { maskEmail, normaliseRaw } from '@hookstream/dialects';

export const FEED_STATUSES = ['received', 'accepted', 'rejected', 'duplicate'] as const;
export type FeedStatus = (typeof FEED_STATUSES)[number];

/**
 * `received` is provisional (the validator has not spoken yet); the three verdicts are final and
 * mutually exclusive for one event id. A verdict is never replaced by `received`, whatever order
 * the topics are consumed in.
 */
export function statusRank(s: FeedStatus): number {
  return s === 'received' ? 0 : 1;
}

/** What the feed shows of an event's content; emails appear masked only. Stored as `summary` jsonb. */
export interface StoredSummary {
  person: { firstName: string | null; lastName: string | null; emailMasked: string | null };
  location: { city: string | null; country: string | null; countryCode: string | null };
  product: { name: string | null } | null;
  amount: number | null;
  currency: string | null;
  reasons: number;
  duplicateOf: string | null;
}

/** One upsert into `feed_events`. `email` is in clear here and hashed by the writer, never stored. */
export interface FeedRow {
  id: string;
  accountId: string;
  sourceId: string;
  status: FeedStatus;
  type: string | null;
  receivedAt: string;
  occurredAt: string | null;
  dialect: string | null;
  email: string | null;
  summary: StoredSummary;
  raw: RawEventDto | null;
  canonical: CanonicalEvent | null;
  enrichment: { applied: string[]; warnings: string[] } | null;
  reasons: ValidationReason[] | null;
  duplicate: { originalEventId: string; dedupeKey: string } | null;
  /**
   * The event id may come again with another `receivedAt` (see `idMayRepeat`): the writer then
   * looks for its row in every daily partition; otherwise the row can only be at `receivedAt`.
   */
  mayRepeat: boolean;
}

/** The shape of `newId(IdPrefix.event)`: 9 base-36 time digits and 12 random ones. */
const DRAWN_EVENT_ID = /^evt_[0-9a-z]{21}$/;

/**
 * Whether an event id can be seen again with another `receivedAt`. The gateway draws a fresh id
 * (`newId`) for a request without an Idempotency-Key / webhook-id: such an event only ever has the
 * `receivedAt` it was drawn with. With a key the id is derived (`stableId`, 26 hex digits), and a
 * sender's retry gets it again later. Any other shape counts as "may repeat" (the safe side).
 * Decided from the id alone, so an event's raw row and its verdict always agree.
 */
export function idMayRepeat(id: string): boolean {
  return !DRAWN_EVENT_ID.test(id);
}

export function emptySummary(): StoredSummary {
  return {
    person: { firstName: null, lastName: null, emailMasked: null },
    location: { city: null, country: null, countryCode: null },
    product: null,
    amount: null,
    currency: null,
    reasons: 0,
    duplicateOf: null,
  };
}

function summaryOf(e: Pick<CanonicalEvent, 'person' | 'location' | 'product' | 'amount' | 'currency'>): StoredSummary {
  return {
    ...emptySummary(),
    person: { firstName: e.person?.firstName ?? null, lastName: e.person?.lastName ?? null, emailMasked: e.person?.email ? maskEmail(e.person.email) : null },
    location: { city: e.location?.city ?? null, country: e.location?.country ?? null, countryCode: e.location?.countryCode ?? null },
    product: e.product ? { name: e.product.name ?? null } : null,
    amount: e.amount ?? null,
    currency: e.currency ?? null,
  };
}

function base(raw: RawEventDto, status: FeedStatus): FeedRow {
  return {
    id: raw.id,
    accountId: raw.accountId,
    sourceId: raw.sourceId,
    status,
    type: null,
    receivedAt: raw.receivedAt,
    occurredAt: null,
    dialect: raw.dialect === 'auto' ? null : raw.dialect,
    email: null,
    summary: emptySummary(),
    raw,
    canonical: null,
    enrichment: null,
    reasons: null,
    duplicate: null,
    mayRepeat: idMayRepeat(raw.id),
  };
}

/** events.raw: the request is in; the verdict is still to come. */
export function rowFromRaw(raw: RawEventDto): FeedRow {
  return base(raw, 'received');
}

/** events.enriched: accepted, with the canonical event as enriched. */
export function rowFromEnriched(e: CanonicalEvent): FeedRow {
  const { enrichment } = e;
  return {
    id: e.id,
    accountId: e.accountId,
    sourceId: e.sourceId,
    status: 'accepted',
    type: e.type,
    receivedAt: e.receivedAt,
    occurredAt: e.occurredAt,
    dialect: e.dialect,
    email: e.person?.email ?? null,
    summary: summaryOf(e),
    raw: null,
    canonical: e,
    enrichment: enrichment ? { applied: enrichment.applied, warnings: enrichment.warnings } : null,
    reasons: null,
    duplicate: null,
    mayRepeat: idMayRepeat(e.id),
  };
}

export function rowFromRejected(r: RejectedEvent): FeedRow {
  const row = base(r.raw, 'rejected');
  return { ...row, dialect: r.dialect ?? row.dialect, reasons: r.reasons, summary: { ...emptySummary(), reasons: r.reasons.length } };
}

/**
 * events.duplicate carries the raw request only; normalising it again (pure, cheap) gives the
 * feed the type and person so duplicates can be filtered like accepted events.
 */
export function rowFromDuplicate(d: DuplicateEvent): FeedRow {
  const row = base(d.raw, 'duplicate');
  const duplicate = { originalEventId: d.originalEventId, dedupeKey: d.dedupeKey };
  const n = normaliseRaw(d.raw);
  if (!n.ok) return { ...row, duplicate, summary: { ...emptySummary(), duplicateOf: d.originalEventId } };
  return {
    ...row,
    type: n.event.type,
    occurredAt: n.event.occurredAt,
    dialect: n.event.dialect,
    email: n.event.person.email,
    duplicate,
    summary: { ...summaryOf(n.event), duplicateOf: d.originalEventId },
  };
}

/**
 * One row of two for the same event id, as the upsert would leave it had `prev` been written first
 * and `next` second (FeedRepository.upsert's ON CONFLICT rules): the higher status wins (a tie goes to
 * `next`); the winner brings type, times, dialect, e-mail and summary (a verdict filling in what the
 * other lacks); the raw request is kept from whichever brought one; canonical, enrichment, reasons
 * and duplicate info from the verdict that won, else kept. So a raw row and its verdict consumed in
 * the same write become ONE row insert instead of an insert and an update.
 */
export function mergeRows(prev: FeedRow, next: FeedRow): FeedRow {
  // One row per event id, at its first-seen received_at (a sender's retry has a later one).
  const receivedAt = Date.parse(prev.receivedAt) <= Date.parse(next.receivedAt) ? prev.receivedAt : next.receivedAt;
  const mayRepeat = prev.mayRepeat || next.mayRepeat;
  if (statusRank(next.status) < statusRank(prev.status)) return { ...prev, raw: prev.raw ?? next.raw, receivedAt, mayRepeat };
  return {
    ...next,
    type: next.type ?? prev.type,
    occurredAt: next.occurredAt ?? prev.occurredAt,
    dialect: next.dialect ?? prev.dialect,
    email: next.email ?? prev.email,
    raw: prev.raw ?? next.raw,
    canonical: next.canonical ?? prev.canonical,
    enrichment: next.enrichment ?? prev.enrichment,
    reasons: next.reasons ?? prev.reasons,
    duplicate: next.duplicate ?? prev.duplicate,
    receivedAt,
    mayRepeat,
  };
}

/**
 * Rows for one upsert statement must have distinct keys (Postgres refuses to update a row twice
 * in one statement): one per event, merged in order (`mergeRows`), at the earliest received_at of
 * the batch.
 */
export function dedupeRows(rows: FeedRow[]): FeedRow[] {
  const byId = new Map<string, FeedRow>();
  for (const r of rows) {
    const prev = byId.get(r.id);
    byId.set(r.id, prev ? mergeRows(prev, r) : r);
  }
  return [...byId.values()];
}
