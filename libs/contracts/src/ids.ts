import { hash } from 'node:crypto';
import { randomPoolBytes } from './random-pool';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Time-ordered, URL-safe ids with a type prefix (`evt_…`, `src_…`): sortable, unguessable. */
export function newId(prefix: string, now = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const rand = randomPoolBytes(12);
  let tail = '';
  for (const b of rand) tail += ALPHABET[b % 36];
  return `${prefix}_${time}${tail}`;
}

/** Deterministic id from parts: the same inputs always give the same id (idempotent effects). */
export function stableId(prefix: string, ...parts: string[]): string {
  // One-shot hash (no Hash object per call): the same digest as createHash('sha256'), cheaper per id.
  const h = hash('sha256', parts.join('\u0000'), 'hex').slice(0, 26);
  return `${prefix}_${h}`;
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
