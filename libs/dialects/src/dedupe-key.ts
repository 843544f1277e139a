import { hash } from 'node:crypto';
import type { DedupeOptions, Dialect, RawEventDto } from '@hookstream/contracts';
import type { NormalisedEvent } from './dialect';
import { isPlainObject } from './validators';

/**
 * Stable JSON: object keys sorted at every level, `undefined` members dropped, arrays in order.
 * Two events that differ only in key order hash the same. The text is part of stored dedupe keys:
 * it must not change (dedupe-key.spec compares it with the first implementation). Built by plain
 * concatenation: no per-level filter/map/join arrays.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty (as Array#map + join rendered it); an undefined member is null.
      if (i in value) out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Payload fields that carry a sender's own event id. ActiveCampaign posts none (its ids are contact/deal ids). */
export const PAYLOAD_ID_FIELDS: readonly string[] = ['id', 'event_id', 'eventId'];
const NO_PAYLOAD_ID: ReadonlySet<Dialect> = new Set<Dialect>(['activecampaign']);

export interface DedupeKeyOptions {
  /** Override the payload id fields (default PAYLOAD_ID_FIELDS). */
  idFields?: readonly string[];
}

function payloadId(body: unknown, fields: readonly string[]): string | null {
  if (!isPlainObject(body)) return null;
  for (const f of fields) {
    if (!Object.prototype.hasOwnProperty.call(body, f)) continue;
    const v = body[f];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && v.trim() !== '' && v.length <= 200) return v.trim();
  }
  return null;
}

/**
 * The key an event is deduplicated on, first match wins:
 * 1. `idem:<key>`: the Idempotency-Key / webhook-id header the gateway kept;
 * 2. `pid:<id>`: an explicit event id in the payload (`id`, `event_id`, `eventId`; never for
 *    activecampaign);
 * 3. `sha256:<hex>`: the source id plus the canonical JSON of the event without `id` and
 *    `receivedAt`. An event whose time fell back to `receivedAt` therefore never matches
 *    another by content: without a payload time, identical content may be two real events.
 * Keys are not scoped here; the caller stores them per source.
 */
export function dedupeKey(raw: RawEventDto, event: NormalisedEvent, options: DedupeKeyOptions = {}): string {
  const idem = raw.idempotencyKey?.trim();
  if (idem) return `idem:${idem}`;
  if (!NO_PAYLOAD_ID.has(event.dialect)) {
    const pid = payloadId(raw.body, options.idFields ?? PAYLOAD_ID_FIELDS);
    if (pid !== null) return `pid:${pid}`;
  }
  const { id: _id, receivedAt: _receivedAt, ...content } = event;
  return `sha256:${sha256(`${raw.sourceId}\u0000${canonicalJson(content)}`)}`;
}

/** Reads `person.email`, `products[0].name` … from the event; undefined when any step is missing. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') continue;
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * A time-window key: the same source, the same values of `fields` and the same window bucket.
 * Buckets are fixed (`floor(occurredAt / windowSeconds)`), not sliding: two events less than a
 * window apart that straddle a bucket boundary get different keys. That approximation keeps the
 * key a single lookup; callers who need a strict sliding window can also check the previous bucket.
 * Null when any field is missing or empty (no window dedupe for that event).
 */
export function windowDedupeKey(event: NormalisedEvent, options: DedupeOptions, sourceId: string): string | null {
  if (!Number.isFinite(options.windowSeconds) || options.windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a positive number, got ${options.windowSeconds}`);
  }
  if (options.fields.length === 0) return null;
  const values: unknown[] = [];
  for (const field of options.fields) {
    const v = readPath(event, field);
    if (v === undefined || v === null || v === '') return null;
    values.push(v);
  }
  const occurred = Date.parse(event.occurredAt);
  if (!Number.isFinite(occurred)) return null;
  const bucket = Math.floor(occurred / 1000 / options.windowSeconds);
  return `win:${sha256(`${sourceId}\u0000${canonicalJson(options.fields)}\u0000${canonicalJson(values)}\u0000${options.windowSeconds}:${bucket}`)}`;
}

/**
 * Activly says the email is "used only for deduplication": with no dedupe option on an Activly
 * source, the same email within a window counts once. One hour is our choice (Activly does not
 * publish its window): long enough to absorb retries and double submits, short enough that a
 * returning customer is shown again.
 */
export const ACTIVLY_DEFAULT_DEDUPE: DedupeOptions = { fields: ['person.email'], windowSeconds: 3600 };

/** The window options to apply: the source's own, else the dialect's default (Activly only), else null. */
export function effectiveDedupeOptions(sourceOptions: DedupeOptions | null, dialect: Dialect): DedupeOptions | null {
  if (sourceOptions !== null) return sourceOptions;
  return dialect === 'activly' ? ACTIVLY_DEFAULT_DEDUPE : null;
}
