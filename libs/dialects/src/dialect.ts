import {
  emptyLocation, emptyPerson, type CanonicalEvent, type Dialect, type RawEventDto, type ValidationReason,
} from '@hookstream/contracts';

/** The canonical event as the validator builds it: everything but what later stages add. */
export type NormalisedEvent = Omit<CanonicalEvent, 'enrichment' | 'dedupeKey' | 'causedBy' | 'causationDepth' | 'causedByRule'>;

export type DialectResult = { ok: true; event: NormalisedEvent } | { ok: false; reasons: ValidationReason[] };

/**
 * One inbound dialect. (Named DialectHandler because `Dialect` is already the contracts' name for
 * the dialect-name union.)
 */
export interface DialectHandler {
  readonly name: Dialect;
  /** How sure we are that `body` is in this dialect: 0 (not at all) … 1 (certain). Pure and cheap. */
  detect(body: unknown, contentType?: string): number;
  normalise(raw: RawEventDto): DialectResult;
}

/** An event carrying only what the raw event knows; dialects fill in the rest. */
export function baseEvent(raw: RawEventDto, dialect: Dialect): NormalisedEvent {
  return {
    id: raw.id,
    accountId: raw.accountId,
    sourceId: raw.sourceId,
    type: 'custom',
    occurredAt: raw.receivedAt,
    receivedAt: raw.receivedAt,
    initiatedFrom: raw.initiatedFrom,
    person: emptyPerson(),
    location: emptyLocation(),
    product: null,
    products: [],
    amount: null,
    currency: null,
    attributes: {},
    dialect,
  };
}

export const BODY_NOT_OBJECT: ValidationReason = {
  path: '',
  rule: 'isObject',
  message: 'body must be a JSON object or form fields',
};

export function isFormContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded');
}

/** Trimmed non-empty string, else null. */
export function str(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t === '' ? null : t;
}
