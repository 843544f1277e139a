import { hash } from 'node:crypto';
import { randomPoolBytes } from './random-pool';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Time-ordered, URL-safe ids with a type prefix (`evt_…`, `src_…`): sortable, unguessable. */
export function newId(prefix: string, now = Date.now()): string {
  const time = timeKey(now);
  const rand = randomPoolBytes(12);
  let tail = '';
  for (const b of rand) tail += ALPHABET[b % 36];
  return `${prefix}_${time}${tail}`;
}

/** A time as the 9 base-36 digits that start a time-ordered id: they sort as the times do (until 5188). */
export function timeKey(ms: number): string {
  return (Number.isFinite(ms) && ms > 0 ? Math.trunc(ms) : 0).toString(36).padStart(9, '0');
}

/** The 26 hex digits (104 bits) of sha256 over the parts, each part separated: `stableId`'s hash. */
export function stableHash(...parts: string[]): string {
  // One-shot hash (no Hash object per call): the same digest as createHash('sha256'), cheaper per id.
  return hash('sha256', parts.join('\u0000'), 'hex').slice(0, 26);
}

/** Deterministic id from parts: the same inputs always give the same id (idempotent effects). */
export function stableId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${stableHash(...parts)}`;
}

/** The time a `newId` id was drawn at (its first 9 digits), or null for any other id (a `stableId` hash). */
export function idTime(id: string): number | null {
  const body = id.slice(id.indexOf('_') + 1);
  return /^[0-9a-z]{21}$/.test(body) ? parseInt(body.slice(0, 9), 36) : null;
}

/**
 * The ids of an event's delivery to one endpoint, from the event id and the endpoint id alone, so
 * a redelivered event — or a sender's retry with the same Idempotency-Key, which arrives with a
 * later `receivedAt` but the same event id — makes the same ones:
 * - `id`, for an event id the gateway drew (`newId`: its time first): `dlv_` + that time's 9 digits
 *   + 20 hex digits of sha256(eventId, endpointId). The `deliveries` and `delivery_attempts`
 *   primary keys then take new rows at the right edge of their recent range, in pages already in
 *   memory. A hash-only id lands on a random leaf page of the whole index: once the index outgrows
 *   shared_buffers, every insert may read a page and, after each checkpoint, writes it whole to the
 *   WAL (`npm run bench -- scale`, "deliveries"). For an event id that is itself a hash (an
 *   Idempotency-Key's, a contact event's) there is no time to take: `dlv_` + the 26 hex digits, the
 *   id every delivery had before 2026-12-06.
 * - `webhookId`: `msg_` + the 26 hex digits (= stableId('msg', eventId, endpointId)), for every
 *   event as before. Receivers deduplicate on it (Standard Webhooks `webhook-id`).
 */
export function deliveryIds(eventId: string, endpointId: string): { id: string; webhookId: string } {
  const h = stableHash(eventId, endpointId);
  const at = idTime(eventId);
  return { id: at === null ? `dlv_${h}` : `dlv_${timeKey(at)}${h.slice(0, 20)}`, webhookId: `msg_${h}` };
}

export const IdPrefix = {
  event: 'evt',
  account: 'acc',
  source: 'src',
  endpoint: 'ep',
  automation: 'aut',
  delivery: 'dlv',
  message: 'msg',
  apiKey: 'key',
  contact: 'ct',
  attempt: 'att',
  dlqMessage: 'dlq',
} as const;
